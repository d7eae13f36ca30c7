// Training and inference phases: Dropout's masks keyed to (seed, step, layer,
// row), BatchNormalization's whole-batch statistics across thread shares and
// its moving statistics, and the inference form that drops and folds them.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <span>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/io/model_file.hpp"
#include "typenet/io/model_tensors.hpp"
#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"
#include "support/run_program.hpp"
#include "support/training_gradients.hpp"

namespace tn = typenet;

namespace {

// A small model with everything the phases touch: a convolution without a
// bias before a normalization and a ReLU (which fold into it), a pooling, a
// dropout, a normalization after a dense layer with an activation (which
// cannot fold: it becomes an affine), another dropout and the logits.
struct Features : tn::Sequential<tn::Conv2D<8, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<>,
                                 tn::Activation<tn::ReLU>, tn::MaxPooling2D<2>> {};
struct Head : tn::Sequential<tn::Flatten, tn::Dropout<"0.25">, tn::Dense<16, tn::ReLU>, tn::BatchNormalization<>,
                             tn::Dropout<"0.5">, tn::Dense<4>> {};
using Net = tn::Model<tn::Input<6, 6, 1>, Features, Head>;
using Loss = tn::SparseCategoricalCrossentropy<tn::FromLogits>;
constexpr std::size_t batch = 12;

struct Batch {
    std::vector<float> images;
    std::vector<std::int32_t> labels;
};

Batch batch_of(std::size_t rows, std::uint64_t seed) {
    tn::Random random(seed);
    Batch b{std::vector<float>(rows * 36), std::vector<std::int32_t>(rows)};
    for (auto& v : b.images) v = random.uniform();
    for (auto& label : b.labels) label = static_cast<std::int32_t>(random.below(4));
    return b;
}

template <class M>
std::vector<float> outputs_of(const M& model, std::span<const float> inputs) {
    tn::Workspace<M, batch> workspace;
    const auto out = model(workspace, inputs);
    return {out.begin(), out.end()};
}

constexpr std::size_t moving_statistics_of_layer_1 = Net::graph::parameter_offsets[1] + 2 * 8;

}  // namespace

// The inference form leaves out both dropouts, folds the first normalization
// and the ReLU into the convolution, and turns the second into an affine.
TEST(InferenceForm, DropsDropoutAndFoldsNormalization) {
    using Form = tn::InferenceForm<Net>;
    using Layers = Form::graph::layer_list;
    static_assert(std::is_same_v<Layers, tn::TypeList<tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU, tn::Bias>,
                                                      tn::MaxPooling2D<2>, tn::Flatten, tn::Dense<16, tn::ReLU>,
                                                      tn::ChannelAffine, tn::Dense<4>>>);
    static_assert(Form::part_index<Head> == 1, "an inference form's parts answer to the trained parts' names");
    // A model with nothing to drop or fold is its own inference form.
    using Plain = tn::Model<tn::Input<6, 6, 1>, tn::Conv2D<4, 3>, tn::Flatten, tn::Dense<3>>;
    static_assert(std::is_same_v<tn::InferenceForm<Plain>, Plain>);
}

// Keras's counts: gamma and beta are trainable, the moving statistics not.
TEST(InferenceForm, KerasCountsOfParameters) {
    EXPECT_EQ(Net::trainable_parameter_count, 72u + 2 * 8 + (72 * 16 + 16) + 2 * 16 + (16 * 4 + 4));
    EXPECT_EQ(Net::non_trainable_parameter_count, 2u * 8 + 2 * 16);
}

// After training has moved the moving statistics, the folded model computes
// what the trained one computes in inference, within 1e-5.
TEST(InferenceForm, FoldedOutputsEqualTheTrainedModelsInference) {
    Net model(1);
    tn::Trainer<Net, tn::Adam, Loss, batch> trainer(model, tn::Adam{.learning_rate = 1e-2f});
    trainer.set_seed(5);
    for (std::uint64_t s = 0; s < 20; ++s) {
        const Batch b = batch_of(batch, s);
        trainer.step(b.images, std::span<const std::int32_t>(b.labels));
    }
    const float* moving = model.parameters().data() + moving_statistics_of_layer_1;
    ASSERT_NE(moving[0], 0.0f) << "training moved no moving mean";
    const auto served = tn::inference_form(model);
    const Batch b = batch_of(batch, 99);
    const auto trained = outputs_of(model, b.images), folded = outputs_of(served, b.images);
    ASSERT_EQ(trained.size(), folded.size());
    for (std::size_t i = 0; i < trained.size(); ++i) EXPECT_NEAR(trained[i], folded[i], 1e-5) << i;
}

// The moving statistics move as Keras moves them, from the batch's mean and
// biased variance, once per landed step; the counter counts the steps.
TEST(BatchNormalization, MovingStatisticsFollowKeras) {
    using M = tn::Model<tn::Input<3, 2, 2>, tn::BatchNormalization<"0.9">, tn::Flatten, tn::Dense<2>>;
    M model(2);
    tn::Trainer<M, tn::SGD, Loss, 8> trainer(model);
    const std::vector<float> x{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 5};
    const std::vector<std::int32_t> labels{0, 1};
    trainer.step(x, std::span<const std::int32_t>(labels));
    for (std::size_t c = 0; c < 2; ++c) {
        double sum = 0, square = 0;
        for (std::size_t i = c; i < x.size(); i += 2) sum += x[i], square += double(x[i]) * x[i];
        const double mean = sum / 12, variance = square / 12 - mean * mean;
        EXPECT_NEAR(model.parameters()[4 + c], 0.1 * mean, 1e-6);
        EXPECT_NEAR(model.parameters()[6 + c], 0.9 + 0.1 * variance, 1e-5);
    }
    EXPECT_EQ(model.parameters()[8], 1.0f);
}

// A step refused for a non-finite loss changes neither the weights nor the
// moving statistics nor their counter.
TEST(BatchNormalization, ARefusedStepLeavesTheStatistics) {
    Net model(3);
    tn::Trainer<Net, tn::Adam, Loss, batch> trainer(model);
    Batch b = batch_of(batch, 1);
    trainer.step(b.images, std::span<const std::int32_t>(b.labels));
    const std::vector<float> before(model.parameters().begin(), model.parameters().end());
    b.images[7] = INFINITY;
    EXPECT_THROW(trainer.step(b.images, std::span<const std::int32_t>(b.labels)), tn::NumericalError);
    EXPECT_TRUE(std::equal(before.begin(), before.end(), model.parameters().begin()));
    EXPECT_EQ(trainer.optimizer_state().step, 1);
}

// Two threads compute the one-thread step's maths (whole-batch statistics,
// the same masks), within float tolerance; who runs the shares changes nothing.
TEST(Phases, TwoThreadsComputeTheOneThreadStep) {
    Net one(4), two(4), by_caller(4);
    tn::Trainer<Net, tn::Adam, Loss, batch> single(one, {}, 1), pair(two, {}, 2), caller(by_caller, {}, 2);
    pair.dispatch() = tn::Dispatch(tn::Dispatch::Mode::team);
    caller.dispatch() = tn::Dispatch(tn::Dispatch::Mode::caller);
    for (std::size_t rows : {batch, batch, std::size_t{7}, std::size_t{1}}) {
        const Batch b = batch_of(rows, rows);
        const std::span<const std::int32_t> labels(b.labels);
        const double a = single.step(b.images, labels), c = pair.step(b.images, labels);
        EXPECT_NEAR(a, c, 1e-5);
        ASSERT_EQ(c, caller.step(b.images, labels));
    }
    for (std::size_t i = 0; i < Net::parameter_count; ++i) {
        ASSERT_NEAR(one.parameters()[i], two.parameters()[i], 1e-4) << i;
        ASSERT_EQ(two.parameters()[i], by_caller.parameters()[i]) << i;
    }
}

// The masks are the step's and the seed's: another seed trains otherwise,
// the same seed the same, and a trainer that resumes from a checkpoint
// (weights, optimizer state with its step count) draws what an unbroken one draws.
TEST(Dropout, ResumedTrainingMatchesUnbrokenByteForByte) {
    const tn::testing::TempDir dir("typenet phases ");
    const auto checkpoint = dir.path() / "checkpoint.tnm";
    auto train = [](tn::Trainer<Net, tn::Adam, Loss, batch>& trainer, std::uint64_t from, std::uint64_t to) {
        for (std::uint64_t s = from; s < to; ++s) {
            const Batch b = batch_of(batch, s);
            trainer.step(b.images, std::span<const std::int32_t>(b.labels));
        }
    };
    Net unbroken(7), other_seed(7), first_half(7), second_half(8);
    tn::Trainer<Net, tn::Adam, Loss, batch> straight(unbroken, {}, 2), other(other_seed, {}, 2),
        before(first_half, {}, 2), after(second_half, {}, 2);
    straight.set_seed(11);
    other.set_seed(12);
    before.set_seed(11);
    after.set_seed(11);
    train(straight, 0, 6);
    train(other, 0, 6);
    train(before, 0, 3);
    tn::io::save_checkpoint(checkpoint, first_half, std::as_const(before).optimizer_state(), {});
    tn::io::load_checkpoint(checkpoint, second_half, after.optimizer_state());
    train(after, 3, 6);
    EXPECT_TRUE(std::equal(unbroken.parameters().begin(), unbroken.parameters().end(), second_half.parameters().begin()));
    EXPECT_FALSE(std::equal(unbroken.parameters().begin(), unbroken.parameters().end(), other_seed.parameters().begin()));
}

// In training about rate of the inputs are dropped, and the rest scaled by
// 1 / (1 - rate); a row's mask does not depend on which thread's share it is in.
TEST(Dropout, DropsTheRateAndScalesTheRest) {
    using B = tn::Dropout<"0.25">::Bound<tn::Shape<1000>>;
    std::vector<float> x(2000, 1.0f), y(2000), again(1000);
    const tn::TrainingPass pass{.seed = 3, .step = 9, .layer = 2, .first_row = 0, .batch_rows = 2};
    B::train_forward<tn::kernels::native_arch>(nullptr, x.data(), y.data(), 2, nullptr, pass);
    const auto dropped = std::count(y.begin(), y.end(), 0.0f);
    EXPECT_NEAR(static_cast<double>(dropped) / 2000.0, 0.25, 0.03);
    for (const float v : y) ASSERT_TRUE(v == 0.0f || v == 1.0f / 0.75f);
    tn::TrainingPass second_row = pass;
    second_row.first_row = 1;
    B::train_forward<tn::kernels::native_arch>(nullptr, x.data(), again.data(), 1, nullptr, second_row);
    EXPECT_TRUE(std::equal(again.begin(), again.end(), y.begin() + 1000));
}

// The training phase of a whole model on two threads, against central
// differences of the loss it computes (support/training_gradients.hpp).
TEST(Phases, TrainingGradientsOfAWholeModelOnTwoThreads) {
    Net model(9);
    tn::Trainer<Net, tn::SGD, Loss, batch> trainer(model, {}, 2);
    trainer.set_seed(3);
    const Batch b = batch_of(batch, 4);
    tn::testing::expect_training_gradients_match(trainer, std::span<const float>(b.images),
                                                 std::span<const std::int32_t>(b.labels), 5);
}
