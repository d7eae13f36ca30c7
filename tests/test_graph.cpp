// Graphs that are not a chain: Tags and merges (Add, Concatenate) in the flat
// list, the gradient an activation with several readers receives, the
// buffers planned from lifetimes, and what works on graphs as on chains
// (parts, the inference form, model files).
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "notebook_models.hpp"
#include "support/gradient_check.hpp"
#include "support/training_gradients.hpp"
#include "typenet/io/architecture.hpp"
#include "typenet/io/model_file.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;

namespace {

// The U-Net of the unet_denoiser sample, small: two skips over a stride-2
// convolution and a transposed one.
using SmallUNet = tn::Model<tn::Input<6, 6, 1>, tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>, tn::Tag<"a">,
                            tn::Conv2D<4, 3, 2, tn::Same, tn::Tanh>, tn::Tag<"b">,
                            tn::Conv2D<2, 3, 1, tn::Same, tn::Tanh>, tn::Concatenate<"b">,
                            tn::Conv2DTranspose<3, 3, 2, tn::Same, tn::Tanh>, tn::Concatenate<"a">,
                            tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>>;

// Residual blocks: "r" is read by two merges, so its gradient is the sum of
// three (the chain's and both Adds'); a Tag behind views; an Add of an
// activation to itself.
using Residual = tn::Model<tn::Input<2, 3>, tn::Flatten, tn::Dense<5, tn::Tanh>, tn::Tag<"r">, tn::Dense<5, tn::Tanh>,
                           tn::Add<"r">, tn::Tag<"s">, tn::Dense<5, tn::Sigmoid>, tn::Add<"s">, tn::Add<"r">,
                           tn::Reshape<5, 1>, tn::Tag<"t">, tn::Add<"t">, tn::Flatten, tn::Dense<3, tn::Tanh>>;

// The input itself tagged: its gradient has the merge's share too.
using InputSkip = tn::Model<tn::Input<3, 3, 2>, tn::Tag<"x">, tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>,
                            tn::Concatenate<"x">, tn::Conv2D<2, 3, 1, tn::Valid, tn::Sigmoid>>;

template <class M>
void expect_gradients_match(std::uint64_t seed = 1) {
    const auto report = tn::testing::check_gradients<M>(seed);
    EXPECT_EQ(report.checked, M::parameter_count + 2 * M::input_shape::size);
    EXPECT_TRUE(report.failures.empty()) << report.failures.size() << " mismatches, first: " << report.failures.front();
    EXPECT_LE(report.kinks, report.checked / 100);
}

std::vector<float> random_floats(std::size_t count, std::uint64_t seed) {
    tn::Random random(seed);
    std::vector<float> values(count);
    for (auto& v : values) v = random.uniform(-1.0f, 1.0f);
    return values;
}

}  // namespace

TEST(Graph, ShapesOfTheUNet) {
    using g = notebook::UNetDenoiser::graph;
    static_assert(std::is_same_v<g::shape_at<7>, tn::Shape<14, 14, 64>>);  // Concatenate(u, b)
    static_assert(std::is_same_v<g::shape_at<9>, tn::Shape<28, 28, 32>>);  // Concatenate(u, a)
    static_assert(std::is_same_v<notebook::UNetDenoiser::output_shape, tn::Shape<28, 28, 1>>);
    static_assert(g::skip_of[6] == 3 && g::skip_of[8] == 1);
}

TEST(Graph, MergesComputeWhatKerasDoes) {
    using Net = tn::Model<tn::Input<2, 1, 2>, tn::Tag<"x">, tn::Conv2D<1, 1, 1, tn::Same>, tn::Concatenate<"x">,
                          tn::Tag<"y">, tn::Add<"y">>;
    Net model;
    auto p = model.parameters();
    p[Net::graph::parameter_offsets[1]] = 1.0f;  // the 1x1 kernel: channel 0 + 2 x channel 1, bias 0.5
    p[Net::graph::parameter_offsets[1] + 1] = 2.0f;
    p[Net::graph::parameter_offsets[1] + 2] = 0.5f;
    tn::InlineWorkspace<Net, 1> workspace;
    const std::vector<float> x = {1, 2, 3, 4};
    const auto y = model(workspace, x);
    // Concatenate: (conv, x0, x1) a pixel; then Add doubles it.
    const std::vector<float> expected = {2 * 5.5f, 2 * 1, 2 * 2, 2 * 11.5f, 2 * 3, 2 * 4};
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected);
}

TEST(Graph, GradientsOfSkipsAreSummed) {
    for (std::uint64_t seed : {1, 2}) expect_gradients_match<SmallUNet>(seed);
    for (std::uint64_t seed : {1, 2, 3}) expect_gradients_match<Residual>(seed);
    expect_gradients_match<InputSkip>();
}

// The plans: one arena each, where values alive at once never overlap. A
// chain's inference needs no more than the two largest neighbours (the
// denoiser's 14x14x8 input and 28x28x16 output of its last Conv2DTranspose),
// as do its gradients; the U-Net's skips keep theirs open. Each value takes
// whole cache lines a row (7x7x8 = 392 floats takes 400). The outputs of a
// workspace planned for inference are the training workspace's, bit for bit.
TEST(Graph, BuffersArePlannedFromLifetimes) {
    using chain = notebook::DenoisingAutoencoder::graph;
    static_assert(chain::value_floats == 19208 && chain::training_plan.floats_per_row() == 19216);
    static_assert(chain::inference_plan.floats_per_row() == 1568 + 12544);
    static_assert(chain::gradient_plan.floats_per_row() == 1568 + 12544);
    using dense = notebook::DenseAutoencoder::graph;
    static_assert(dense::value_floats == 1632 && dense::training_plan.floats_per_row() == 1632);
    static_assert(dense::inference_plan.floats_per_row() == 848 && dense::gradient_plan.floats_per_row() == 848);
    // The U-Net's last Concatenate reads u and a (28x28x16 each) and writes
    // 28x28x32: 50,176 floats alive at once, the least it can take.
    using unet = notebook::UNetDenoiser::graph;
    static_assert(unet::value_floats == 78400 && unet::training_plan.floats_per_row() == 78400);
    static_assert(unet::inference_plan.floats_per_row() == 50176 && unet::gradient_plan.floats_per_row() == 50176);

    const auto check = []<class M>(std::type_identity<M>) {
        constexpr std::size_t rows = 3;
        M model(5);
        const auto x = random_floats(rows * M::input_shape::size, 9);
        tn::Workspace<M, rows> trained;
        tn::InferenceWorkspace<M, rows> planned;
        static tn::InlineWorkspace<M, rows> inline_planned;
        const auto a = model(trained, x);
        const auto b = model(planned, x);
        const auto c = model(inline_planned, x);
        EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
        EXPECT_TRUE(std::equal(a.begin(), a.end(), c.begin(), c.end()));
    };
    check(std::type_identity<SmallUNet>{});
    check(std::type_identity<Residual>{});
    check(std::type_identity<InputSkip>{});
    check(std::type_identity<notebook::UNetDenoiser>{});
}

// A model fed one of its own activations: the input is copied first when a
// later layer would overwrite it.
TEST(Graph, InputInsideTheWorkspaceIsSafe) {
    using M = SmallUNet;
    constexpr std::size_t rows = 2;
    M model(3);
    const auto x = random_floats(rows * M::input_shape::size, 4);
    tn::InferenceWorkspace<M, rows> reference;
    const auto expected = model(reference, x);
    const std::vector<float> want(expected.begin(), expected.end());
    for (std::size_t i = 0; i <= M::layer_count; ++i) {
        tn::InferenceWorkspace<M, rows> workspace;
        if (M::graph::activation_sizes[i] < M::input_shape::size) continue;
        std::copy(x.begin(), x.end(), workspace.activation(i));
        const auto y = model(workspace, std::span<const float>(workspace.activation(i), x.size()));
        EXPECT_EQ(std::vector<float>(y.begin(), y.end()), want) << "input placed at activation " << i;
    }
}

// Parts hold their skips: running them in turn gives the whole model's output.
TEST(Graph, PartsRunOnTheirOwn) {
    struct Down : tn::Sequential<tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>, tn::Tag<"a">,
                                 tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>, tn::Add<"a">> {};
    struct Up : tn::Sequential<tn::Tag<"c">, tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>, tn::Concatenate<"c">,
                               tn::Conv2D<1, 3, 1, tn::Same>> {};
    using M = tn::Model<tn::Input<5, 5, 1>, Down, Up>;
    M model(2);
    const auto x = random_floats(M::input_shape::size, 1);
    tn::InferenceWorkspace<M, 1> workspace;
    const auto whole = model(workspace, x);
    const std::vector<float> expected(whole.begin(), whole.end());
    const auto code = model.part<Down>()(workspace, x);
    const std::vector<float> between(code.begin(), code.end());
    const auto y = model.part<Up>()(workspace, between);
    EXPECT_EQ(std::vector<float>(y.begin(), y.end()), expected);
}

// The architecture text shows the connections; a chain's is unchanged.
TEST(Graph, ArchitectureTextShowsTheConnections) {
    const std::string text = tn::io::architecture<SmallUNet>();
    EXPECT_NE(text.find("1 Tag a (6,6,3) -> (6,6,3)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("5 Concatenate with b (3,3,2) -> (3,3,6)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("7 Concatenate with a (6,6,3) -> (6,6,6)\n"), std::string::npos) << text;
    using Other = tn::Model<tn::Input<6, 6, 1>, tn::Conv2D<3, 3, 1, tn::Same, tn::Tanh>, tn::Tag<"a">,
                            tn::Conv2D<4, 3, 2, tn::Same, tn::Tanh>, tn::Tag<"b">,
                            tn::Conv2D<2, 3, 1, tn::Same, tn::Tanh>, tn::Concatenate<"b">,
                            tn::Conv2DTranspose<3, 3, 2, tn::Same, tn::Tanh>, tn::Add<"a">,
                            tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>>;
    EXPECT_NE(tn::io::architecture_signature<SmallUNet>(), tn::io::architecture_signature<Other>());
}

// Trained on a few steps, saved and loaded: the same outputs.
TEST(Graph, ModelFilesRoundTrip) {
    SmallUNet model(1);
    tn::Trainer<SmallUNet, tn::Adam, tn::MSE, 4> trainer(model, {}, 2);
    const auto x = random_floats(4 * 36, 2);
    std::vector<float> target(x.size());
    std::transform(x.begin(), x.end(), target.begin(), [](float v) { return v > 0 ? 1.0f : 0.0f; });
    double first = 0, last = 0;
    for (int s = 0; s < 30; ++s) {
        last = trainer.step(x, target);
        if (s == 0) first = last;
    }
    EXPECT_LT(last, first);
    const auto path = std::filesystem::path(::testing::TempDir()) / "unet.tnm";
    tn::io::save_model(path, model);
    SmallUNet loaded(7);
    tn::io::load_model(path, loaded);
    EXPECT_TRUE(std::ranges::equal(model.parameters(), loaded.parameters()));
}

// A normalization folds into the convolution before it only when nothing
// else reads that convolution's output: a Tag between them keeps it apart.
TEST(Graph, InferenceFormFoldsOnlyWhatNoSkipReads) {
    struct Blocks : tn::Sequential<tn::Conv2D<4, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::Tag<"c">,
                                   tn::BatchNormalization<>, tn::Activation<tn::ReLU>, tn::Add<"c">,
                                   tn::Conv2D<4, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<>,
                                   tn::Tag<"d">, tn::Activation<tn::ReLU>, tn::Concatenate<"d">,
                                   tn::Conv2D<1, 3, 1, tn::Same>> {};
    using M = tn::Model<tn::Input<5, 5, 2>, Blocks>;
    using Form = tn::InferenceForm<M>;
    using form_layers = Form::graph::layer_list;
    static_assert(std::is_same_v<tn::type_at<2, form_layers>, tn::ChannelAffine>);  // not folded past the Tag
    static_assert(Form::layer_count == M::layer_count - 1);                          // the second one folded
    M model(3);
    tn::Trainer<M, tn::Adam, tn::MSE, 8> trainer(model, {}, 2);
    const auto x = random_floats(8 * 50, 5);
    const auto target = random_floats(8 * 25, 6);
    for (int s = 0; s < 20; ++s) trainer.step(x, target);
    const Form form = tn::inference_form(model);
    tn::InferenceWorkspace<M, 8> a;
    tn::InferenceWorkspace<Form, 8> b;
    const auto ya = model(a, x);
    const auto yb = form(b, x);
    for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya[i], yb[i], 1e-5f) << i;
}

// Training through skips with batch statistics and dropout on two threads:
// the stages cut at the normalizations, and a skip open across them.
TEST(Graph, TrainingGradientsThroughSkipsOnTwoThreads) {
    struct Blocks : tn::Sequential<tn::Conv2D<4, 3, 1, tn::Same, tn::Tanh>, tn::Tag<"in">,
                                   tn::Conv2D<4, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<>,
                                   tn::Activation<tn::Tanh>, tn::Dropout<"0.25">, tn::Add<"in">, tn::Tag<"r">,
                                   tn::Conv2D<3, 3, 2, tn::Same, tn::Tanh>, tn::Conv2DTranspose<2, 3, 2, tn::Same, tn::Tanh>,
                                   tn::Concatenate<"r">, tn::Flatten, tn::Dense<3>> {};
    using M = tn::Model<tn::Input<6, 6, 1>, Blocks>;
    M model(4);
    tn::Trainer<M, tn::SGD, tn::MSE, 6> trainer(model, {}, 2);
    trainer.set_seed(2);
    const auto x = random_floats(6 * 36, 3);
    const auto y = random_floats(6 * 3, 4);
    tn::testing::expect_training_gradients_match(trainer, std::span<const float>(x), std::span<const float>(y), 6);
}

// An exported header's parameters run through ModelView as the model runs.
TEST(Graph, ModelViewRunsAGraph) {
    SmallUNet model(2);
    const auto x = random_floats(2 * 36, 8);
    tn::InferenceWorkspace<SmallUNet, 2> a, b;
    const auto expected = model(a, x);
    const tn::ModelView<SmallUNet> view(std::span<const float, SmallUNet::parameter_count>(model.parameters().data(),
                                                                                         SmallUNet::parameter_count));
    const auto y = view(b, x);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), y.begin(), y.end()));
}
