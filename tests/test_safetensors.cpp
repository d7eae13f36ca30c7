// PyTorch interop: the notebook's models, a U-Net whose skips concatenate
// channels, a network with batch normalization and dropout, and two whose
// Dense takes a flattened image of many channels (or gives one to a
// Reshape), load the weights PyTorch saved
// (tests/pytorch/fixtures, made by tests/pytorch/make_fixtures.py) and then
// compute what PyTorch computed; what typenet writes reads back bit for bit
// and has the names and shapes of PyTorch's state_dict(); and every way a
// file can be wrong fails with a DataError that says so, leaving the model
// as it was.
#include "typenet/io/safetensors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>  // mkdtemp, getenv

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "notebook_models.hpp"
#include "support/run_program.hpp"
#include "typenet/inference_form.hpp"
#include "typenet/typenet.hpp"

namespace {

namespace fs = std::filesystem;
namespace tn = typenet;
namespace io = typenet::io;
using Bytes = std::vector<unsigned char>;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Dense = notebook::DenseAutoencoder;
using Denoising = notebook::DenoisingAutoencoder;
using Conv = notebook::ConvAutoencoder;

const fs::path fixtures = fs::path(__FILE__).parent_path() / "pytorch" / "fixtures";
constexpr std::size_t image_count = 4;
constexpr float tolerance = 1e-5f;

Bytes read(const fs::path& file) {
    std::ifstream stream(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
}

template <class M>
std::vector<float> parameters_of(const M& model) {
    return {model.parameters().begin(), model.parameters().end()};
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
}

float max_abs_difference(std::span<const float> a, std::span<const float> b) {
    EXPECT_EQ(a.size(), b.size());
    float most = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) most = std::max(most, std::abs(a[i] - b[i]));
    return most;
}

// typenet's Glorot-uniform weights drawn from `seed`, and biases drawn too:
// typenet starts them at zero, which would leave them untested.
template <class M>
M model_with_values(std::uint64_t seed) {
    M model(seed);
    tn::Random random(seed, tn::Stream::test);
    for (const io::ModelTensor& tensor : io::model_tensors<M>)
        if (tensor.info.name == "bias")
            for (std::size_t i = 0; i < tensor.info.size(); ++i)
                model.parameters()[tensor.parameter_offset + i] = random.uniform(-0.2f, 0.2f);
    return model;
}

// The message of the DataError `action` throws; a test failure if it throws none.
template <class Action>
std::string data_error_message(Action&& action) {
    try {
        action();
    } catch (const tn::DataError& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected a typenet::DataError";
    return {};
}

// What a model computes on the fixture images, and what its encoder computes.
struct Computed {
    std::vector<float> codes, outputs;
};

template <class M, class Encoder>
Computed compute(const M& model, std::span<const float> images) {
    tn::Workspace<M, image_count> workspace;
    const std::span<const float> codes = model.template part<Encoder>()(workspace, images);
    Computed computed{{codes.begin(), codes.end()}, {}};
    const std::span<const float> outputs = model(workspace, images);
    computed.outputs.assign(outputs.begin(), outputs.end());
    return computed;
}

template <class M, class Encoder>
void expect_pytorch_outputs(const std::string& model_name, std::size_t code_size) {
    M model;
    io::load_safetensors(fixtures / (model_name + ".safetensors"), model);
    const io::FloatTensors examples = io::load_safetensors_floats(fixtures / "examples.safetensors");
    const io::FloatTensor& images = examples.at("images");
    ASSERT_EQ(images.values.size(), image_count * M::input_shape::size);
    const Computed computed = compute<M, Encoder>(model, images.values);
    const io::FloatTensor& codes = examples.at(model_name + ".codes");
    const io::FloatTensor& outputs = examples.at(model_name + ".outputs");
    ASSERT_EQ(codes.values.size(), image_count * code_size);
    ASSERT_EQ(outputs.values.size(), image_count * M::output_shape::size);
    const float codes_difference = max_abs_difference(computed.codes, codes.values);
    const float outputs_difference = max_abs_difference(computed.outputs, outputs.values);
    std::cout << "[ parity   ] " << model_name << ": max abs difference from PyTorch: codes " << codes_difference
              << ", outputs " << outputs_difference << "\n";
    EXPECT_LE(codes_difference, tolerance);
    EXPECT_LE(outputs_difference, tolerance);
}

TEST(Safetensors, DenseAutoencoderComputesWhatPyTorchComputes) {
    expect_pytorch_outputs<Dense, notebook::DenseEncoder>("dense", 64);
}

TEST(Safetensors, DenoisingAutoencoderComputesWhatPyTorchComputes) {
    expect_pytorch_outputs<Denoising, notebook::DenoiseEncoder>("denoise", 7 * 7 * 8);
}

// Max pooling with Same padding (PyTorch's ceil_mode) and nearest upsampling among the convolutions.
TEST(Safetensors, ConvAutoencoderComputesWhatPyTorchComputes) {
    expect_pytorch_outputs<Conv, notebook::ConvEncoder>("conv", 4 * 4 * 8);
}

std::size_t header_length(const Bytes& bytes) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < 8; ++i) length |= std::size_t{bytes.at(i)} << (8 * i);
    return length;
}

// A file's header as an independent JSON parser reads it.
nlohmann::json header_of(const Bytes& bytes) {
    const auto start = bytes.begin() + 8;
    return nlohmann::json::parse(start, start + static_cast<std::ptrdiff_t>(header_length(bytes)));
}

struct Expected {
    std::string name;
    std::vector<std::size_t> shape;
    std::string dtype = "F32";
};

template <class M>
void expect_names_and_shapes(const std::vector<Expected>& expected) {
    const std::vector<io::TorchTensor> tensors = io::torch_tensors<M>();
    ASSERT_EQ(tensors.size(), expected.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        EXPECT_EQ(tensors[i].name, expected[i].name);
        EXPECT_EQ(std::vector<std::size_t>(tensors[i].dims.begin(), tensors[i].dims.begin() + tensors[i].rank),
                  expected[i].shape)
            << expected[i].name;
    }
    const Bytes bytes = io::safetensors_bytes(M(1));
    const std::size_t length = header_length(bytes);
    EXPECT_EQ((8 + length) % 8, 0u) << "the data starts 8-byte aligned";
    const nlohmann::json header = header_of(bytes);
    EXPECT_EQ(header.at("__metadata__").at("format"), "pt");
    EXPECT_EQ(header.at("__metadata__").at("typenet_architecture"), io::architecture<M>());
    std::uint64_t offset = 0;
    for (const Expected& tensor : expected) {
        const nlohmann::json& entry = header.at(tensor.name);
        EXPECT_EQ(entry.at("dtype"), tensor.dtype) << tensor.name;
        EXPECT_EQ(entry.at("shape").get<std::vector<std::size_t>>(), tensor.shape);
        std::uint64_t size = tensor.dtype == "I64" ? 8 : 4;
        for (const std::size_t dim : tensor.shape) size *= dim;
        EXPECT_EQ(entry.at("data_offsets"), nlohmann::json::array({offset, offset + size})) << tensor.name;
        offset += size;
    }
    EXPECT_EQ(header.size(), expected.size() + 1);
    EXPECT_EQ(bytes.size(), 8 + length + offset);
}

TEST(Safetensors, NamesAndShapesAreThoseOfPyTorchsStateDict) {
    expect_names_and_shapes<Dense>({{"encoder.0.weight", {64, 784}},
                                    {"encoder.0.bias", {64}},
                                    {"decoder.0.weight", {784, 64}},
                                    {"decoder.0.bias", {784}}});
    expect_names_and_shapes<Denoising>({{"encoder.0.weight", {16, 1, 3, 3}},
                                        {"encoder.0.bias", {16}},
                                        {"encoder.1.weight", {8, 16, 3, 3}},
                                        {"encoder.1.bias", {8}},
                                        {"decoder.0.weight", {8, 8, 3, 3}},
                                        {"decoder.0.bias", {8}},
                                        {"decoder.1.weight", {8, 16, 3, 3}},
                                        {"decoder.1.bias", {16}},
                                        {"decoder.2.weight", {1, 16, 3, 3}},
                                        {"decoder.2.bias", {1}}});
}

// PyTorch's modules with bias=False have a weight alone, as typenet's NoBias layers have a kernel alone.
TEST(Safetensors, LayersWithoutABiasHaveAWeightAlone) {
    using Unbiased = tn::Model<tn::Input<6, 6, 3>, tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU, tn::NoBias>,
                               tn::Activation<tn::LeakyReLU<>>,
                               tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::Linear, tn::NoBias>, tn::Flatten,
                               tn::Dense<5, tn::ELU<>, tn::NoBias>, tn::Dense<2>>;
    expect_names_and_shapes<Unbiased>({{"0.weight", {8, 3, 3, 3}},
                                       {"1.weight", {8, 16, 3, 3}},
                                       {"2.weight", {5, 6 * 6 * 16}},
                                       {"3.weight", {2, 5}},
                                       {"3.bias", {2}}});
}

TEST(Safetensors, LayoutsAreTransposedAsPyTorchHasThem) {
    // PyTorch's weight[o][i] of a Linear is typenet's kernel[i][o]; a
    // ConvTranspose2d's weight[i][o][y][x] is typenet's kernel[y][x][o][i].
    const Dense dense = model_with_values<Dense>(3);
    const io::FloatTensors dense_file = io::parse_safetensors_floats(io::safetensors_bytes(dense), "dense");
    const io::FloatTensor& linear = dense_file.at("encoder.0.weight");
    const std::size_t kernel = io::model_tensors<Dense>[0].parameter_offset;
    for (const auto& [o, i] : {std::pair<std::size_t, std::size_t>{0, 0}, {5, 700}, {63, 783}})
        EXPECT_EQ(linear.values[o * 784 + i], dense.parameters()[kernel + i * 64 + o]);

    const Denoising conv = model_with_values<Denoising>(4);
    const io::FloatTensors conv_file = io::parse_safetensors_floats(io::safetensors_bytes(conv), "denoise");
    const io::FloatTensor& transposed = conv_file.at("decoder.1.weight");  // ConvTranspose2d(8, 16): (8, 16, 3, 3)
    const io::ModelTensor& typenet_kernel = io::model_tensors<Denoising>[6];  // (3, 3, 16, 8)
    ASSERT_EQ(typenet_kernel.info.name, "kernel");
    ASSERT_EQ(typenet_kernel.layer, 3u);
    for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t o = 0; o < 16; ++o)
            for (std::size_t y = 0; y < 3; ++y)
                for (std::size_t x = 0; x < 3; ++x)
                    ASSERT_EQ(transposed.values[((i * 16 + o) * 3 + y) * 3 + x],
                              conv.parameters()[typenet_kernel.parameter_offset + ((y * 3 + x) * 16 + o) * 8 + i]);
}

// make_fixtures.py's batchnorm_net: Conv2d(bias=False) -> BatchNorm2d(eps=1e-3,
// momentum=0.01) -> ReLU -> MaxPool2d(2) -> Dropout -> Conv2d -> BatchNorm2d -> ReLU,
// one part (a Dropout alone in a part would leave the inference form an empty one).
struct BatchNormalizedLayers
    : tn::Sequential<tn::Conv2D<8, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<"0.99", "0.001">,
                     tn::Activation<tn::ReLU>, tn::MaxPooling2D<2>, tn::Dropout<"0.25">,
                     tn::Conv2D<4, 3, 1, tn::Same, tn::Linear, tn::NoBias>, tn::BatchNormalization<"0.99", "0.001">,
                     tn::Activation<tn::ReLU>> {};
using BatchNormalized = tn::Model<tn::Input<10, 10, 1>, BatchNormalizedLayers>;
constexpr std::size_t batch_normalized_images = 4;  // as BATCHNORM_IMAGES in make_fixtures.py

// The layers with tensors are numbered, as make_fixtures.py's numbered_by_parameters
// names PyTorch's modules: Dropout, ReLU and MaxPool2d get no number. The count of
// batches is int64, as PyTorch keeps num_batches_tracked.
TEST(Safetensors, BatchNormalizationHasTheNamesAndDtypesOfBatchNorm2d) {
    expect_names_and_shapes<BatchNormalized>({{"0.weight", {8, 1, 3, 3}},
                                              {"1.weight", {8}},
                                              {"1.bias", {8}},
                                              {"1.running_mean", {8}},
                                              {"1.running_var", {8}},
                                              {"1.num_batches_tracked", {}, "I64"},
                                              {"2.weight", {4, 8, 3, 3}},
                                              {"3.weight", {4}},
                                              {"3.bias", {4}},
                                              {"3.running_mean", {4}},
                                              {"3.running_var", {4}},
                                              {"3.num_batches_tracked", {}, "I64"}});
}

std::span<const float> inputs_of(const io::FloatTensors& examples, const std::vector<std::size_t>& shape) {
    const io::FloatTensor& inputs = examples.at("inputs");
    EXPECT_EQ(inputs.shape, shape);
    return inputs.values;
}

template <class Shape>
std::vector<std::size_t> batch_shape() {
    std::vector<std::size_t> shape{batch_normalized_images};
    shape.insert(shape.end(), Shape::dims.begin(), Shape::dims.end());
    return shape;
}

template <class M>
std::vector<float> outputs_of(const M& model, std::span<const float> inputs) {
    tn::Workspace<M, batch_normalized_images> workspace;
    const std::span<const float> outputs = model(workspace, inputs);
    return {outputs.begin(), outputs.end()};
}

// The largest difference between what `model` computes on <name>_examples's
// inputs and PyTorch's outputs there.
template <class M>
float difference_from_pytorch(const M& model, const std::string& name) {
    const io::FloatTensors examples = io::load_safetensors_floats(fixtures / (name + "_examples.safetensors"));
    const std::span<const float> inputs = inputs_of(examples, batch_shape<typename M::input_shape>());
    const io::FloatTensor& expected = examples.at("outputs");
    EXPECT_EQ(expected.shape, batch_shape<typename M::output_shape>());
    return max_abs_difference(outputs_of(model, inputs), expected.values);
}

// The weights and running statistics PyTorch learnt (num_batches_tracked 300),
// run in eval() mode: typenet's model and its inference form (each
// BatchNormalization folded into the convolution before it, the Dropout left
// out) compute PyTorch's outputs.
TEST(Safetensors, BatchNormalizedNetComputesWhatPyTorchComputes) {
    BatchNormalized model;
    io::load_safetensors(fixtures / "batchnorm.safetensors", model);
    const io::ModelTensor& count = io::model_tensors<BatchNormalized>[5];
    ASSERT_EQ(count.info.name, "batches");
    EXPECT_EQ(model.parameters()[count.parameter_offset], 300.0f);

    const auto served = tn::inference_form(model);
    static_assert(tn::InferenceForm<BatchNormalized>::layer_count == 3, "two folded convolutions and the pooling");
    const float model_difference = difference_from_pytorch(model, "batchnorm");
    const float served_difference = difference_from_pytorch(served, "batchnorm");
    std::cout << "[ parity   ] batchnorm: max abs difference from PyTorch: model " << model_difference
              << ", inference form " << served_difference << "\n";
    EXPECT_LE(model_difference, tolerance);
    EXPECT_LE(served_difference, tolerance);
}

// What typenet saves of PyTorch's weights (<name>.safetensors) reads back bit
// for bit, and PyTorch loads it with load_state_dict(strict=True), each tensor
// of its own dtype, and computes typenet's outputs (make_fixtures.py's check
// named by `check_arguments`, which are followed by the folder).
template <class M>
void expect_pytorch_round_trip(const std::string& name, std::vector<std::string> check_arguments) {
    M model;
    io::load_safetensors(fixtures / (name + ".safetensors"), model);
    const tn::testing::TempDir dir("typenet " + name + " ");
    io::save_safetensors(dir / (name + ".safetensors"), model);
    M again;
    io::load_safetensors(dir / (name + ".safetensors"), again);
    EXPECT_TRUE(same_bits(again.parameters(), model.parameters()));

    const fs::path python = "/usr/bin/python3";  // Debian's: python3-torch is installed for it only
    if (!fs::exists(python)) GTEST_SKIP() << python.string() << " is missing: install python3-torch";
    const io::FloatTensors examples = io::load_safetensors_floats(fixtures / (name + "_examples.safetensors"));
    const std::span<const float> inputs = inputs_of(examples, batch_shape<typename M::input_shape>());
    const io::FloatTensor outputs{batch_shape<typename M::output_shape>(), outputs_of(model, inputs)};
    io::save_safetensors(dir / (name + "_outputs.safetensors"),
                         io::FloatTensors{{"inputs", examples.at("inputs")}, {"outputs", outputs}});
    check_arguments.insert(check_arguments.begin(), (fixtures.parent_path() / "make_fixtures.py").string());
    check_arguments.push_back(dir.path().string());
    const tn::testing::ProgramResult result = tn::testing::run_program(python, check_arguments);
    // 77: make_fixtures.py could not import torch or numpy.
    if (result.exit_code == 77)
        GTEST_SKIP() << "python3-torch is missing for " << python.string() << ": " << result.err;
    std::cout << result.out;
    EXPECT_EQ(result.exit_code, 0) << result;
}

// num_batches_tracked int64 as PyTorch's own (make_fixtures.py --check-batchnorm).
TEST(Safetensors, BatchNormalizedNetRoundTripsThroughPyTorch) {
    expect_pytorch_round_trip<BatchNormalized>("batchnorm", {"--check-batchnorm"});
}

// make_fixtures.py's flatten_net: Conv2d(1, 4, 3, padding=1) -> ReLU ->
// MaxPool2d(2) -> Flatten -> Linear(64, 16) -> ReLU -> Linear(16, 3). PyTorch
// flattens the (4, 4, 4) image channels first, typenet channels last.
struct FlattenedLayers : tn::Sequential<tn::Conv2D<4, 3, 1, tn::Same, tn::ReLU>, tn::MaxPooling2D<2>, tn::Flatten,
                                        tn::Dense<16, tn::ReLU>, tn::Dense<3>> {};
using Flattened = tn::Model<tn::Input<8, 8, 1>, FlattenedLayers>;

// make_fixtures.py's unflatten_net: Flatten -> Linear(32, 18) ->
// Unflatten(1, (2, 3, 3)) -> Conv2d(2, 2, 3, padding=1): the Linear's inputs
// and outputs are both images.
struct UnflattenedLayers
    : tn::Sequential<tn::Flatten, tn::Dense<18>, tn::Reshape<3, 3, 2>, tn::Conv2D<2, 3, 1, tn::Same>> {};
using Unflattened = tn::Model<tn::Input<4, 4, 2>, UnflattenedLayers>;

template <class M>
void expect_pytorch_parity(const std::string& name) {
    M model;
    io::load_safetensors(fixtures / (name + ".safetensors"), model);
    const float difference = difference_from_pytorch(model, name);
    std::cout << "[ parity   ] " << name << ": max abs difference from PyTorch " << difference << "\n";
    EXPECT_LE(difference, tolerance);
}

TEST(Safetensors, DenseAfterFlattenComputesWhatPyTorchComputes) { expect_pytorch_parity<Flattened>("flatten"); }

TEST(Safetensors, DenseBetweenFlattenAndReshapeComputesWhatPyTorchComputes) {
    expect_pytorch_parity<Unflattened>("unflatten");
}

TEST(Safetensors, DenseAfterFlattenRoundTripsThroughPyTorch) {
    expect_pytorch_round_trip<Flattened>("flatten", {"--check-image-net", "flatten"});
}

TEST(Safetensors, DenseBetweenFlattenAndReshapeRoundTripsThroughPyTorch) {
    expect_pytorch_round_trip<Unflattened>("unflatten", {"--check-image-net", "unflatten"});
}

// PyTorch's Linear.weight[o][c][y][x] (out, c·h·w) is typenet's
// kernel[y][x][c][o] (h·w·c, out); its bias and weight rows before
// nn.Unflatten are typenet's reordered so too.
TEST(Safetensors, FlatImagesAreOrderedChannelsFirstForPyTorch) {
    const Flattened flattened = model_with_values<Flattened>(5);
    const io::FloatTensor linear =
        io::parse_safetensors_floats(io::safetensors_bytes(flattened), "flatten").at("1.weight");
    ASSERT_EQ(linear.shape, (std::vector<std::size_t>{16, 64}));
    const std::size_t kernel = io::model_tensors<Flattened>[2].parameter_offset;
    for (std::size_t o = 0; o < 16; ++o)
        for (std::size_t c = 0; c < 4; ++c)
            for (std::size_t y = 0; y < 4; ++y)
                for (std::size_t x = 0; x < 4; ++x)
                    ASSERT_EQ(linear.values[o * 64 + (c * 4 + y) * 4 + x],
                              flattened.parameters()[kernel + ((y * 4 + x) * 4 + c) * 16 + o]);

    const Unflattened unflattened = model_with_values<Unflattened>(6);
    const io::FloatTensors file = io::parse_safetensors_floats(io::safetensors_bytes(unflattened), "unflatten");
    const io::FloatTensor& weight = file.at("0.weight");  // (2·3·3, 2·4·4)
    const io::FloatTensor& bias = file.at("0.bias");
    const std::size_t dense_kernel = io::model_tensors<Unflattened>[0].parameter_offset;
    const std::size_t dense_bias = io::model_tensors<Unflattened>[1].parameter_offset;
    for (std::size_t oc = 0; oc < 2; ++oc)
        for (std::size_t oy = 0; oy < 3; ++oy)
            for (std::size_t ox = 0; ox < 3; ++ox) {
                const std::size_t torch_out = (oc * 3 + oy) * 3 + ox, typenet_out = (oy * 3 + ox) * 2 + oc;
                ASSERT_EQ(bias.values[torch_out], unflattened.parameters()[dense_bias + typenet_out]);
                for (std::size_t ic = 0; ic < 2; ++ic)
                    for (std::size_t iy = 0; iy < 4; ++iy)
                        for (std::size_t ix = 0; ix < 4; ++ix)
                            ASSERT_EQ(weight.values[torch_out * 32 + (ic * 4 + iy) * 4 + ix],
                                      unflattened.parameters()[dense_kernel + ((iy * 4 + ix) * 2 + ic) * 18 +
                                                               typenet_out]);
            }
}

// The tensors of B's file are A's, given A's parameters.
template <class A, class B>
void expect_same_tensors(const std::string& what) {
    const A a = model_with_values<A>(7);
    B b;
    static_assert(A::parameter_count == B::parameter_count);
    std::ranges::copy(a.parameters(), b.parameters().begin());
    const io::FloatTensors a_file = io::parse_safetensors_floats(io::safetensors_bytes(a), "a");
    const io::FloatTensors b_file = io::parse_safetensors_floats(io::safetensors_bytes(b), "b");
    ASSERT_EQ(a_file.size(), b_file.size()) << what;
    for (const auto& [name, tensor] : a_file) {
        ASSERT_TRUE(b_file.contains(name)) << what << ": " << name;
        EXPECT_EQ(b_file.at(name).shape, tensor.shape) << what << ": " << name;
        EXPECT_EQ(b_file.at(name).values, tensor.values) << what << ": " << name;
    }
}

// Of one channel, or through layers that keep the values (Dropout), the
// order is that of a plain Dense or of a Dense right after the Flatten: a
// model saved before keeps its bytes.
TEST(Safetensors, OneChannelImagesKeepTheLayout) {
    expect_same_tensors<tn::Model<tn::Input<16>, tn::Dense<6>>,
                        tn::Model<tn::Input<4, 4, 1>, tn::Flatten, tn::Dense<6>, tn::Reshape<3, 2, 1>>>("one channel");
    expect_same_tensors<tn::Model<tn::Input<2, 2, 3>, tn::Flatten, tn::Dense<2>>,
                        tn::Model<tn::Input<2, 2, 3>, tn::Flatten, tn::Dropout<"0.5">, tn::Dense<2>>>("dropout");
}

// A layer with tensors of its own between a Flatten and a Dense (or between
// a Dense and a Reshape) sees typenet's order where PyTorch's module would
// see PyTorch's, and nothing maps one to the other: saving and loading refuse.
TEST(Safetensors, OtherLayersOnFlatImagesAreRefused) {
    using Normalization = tn::BatchNormalization<"0.99", "0.001">;
    using Normalized = tn::Model<tn::Input<2, 2, 3>, tn::Flatten, Normalization, tn::Dense<2>>;
    const auto message = [](auto action) {
        try {
            action();
        } catch (const tn::UsageError& error) {
            return std::string(error.what());
        }
        ADD_FAILURE() << "expected a typenet::UsageError";
        return std::string();
    };
    const std::string refusal = "typenet: layer 1 (BatchNormalization) takes the values of an image (2,2,3) seen flat";
    EXPECT_THAT(message([] { (void)io::safetensors_bytes(Normalized(1)); }), StartsWith(refusal));
    EXPECT_THAT(message([] { (void)io::parse_safetensors<Normalized>(Bytes{}, "normalized"); }), StartsWith(refusal));

    using Before = tn::Model<tn::Input<4>, tn::Dense<12>, Normalization, tn::Reshape<2, 2, 3>>;
    EXPECT_THAT(message([] { (void)io::safetensors_bytes(Before(1)); }),
                StartsWith("typenet: layer 1 (BatchNormalization) gives the values of an image (2,2,3) seen flat"));
}

template <class M>
void expect_round_trip(const std::string& model_name) {
    const M original = model_with_values<M>(11);
    const Bytes bytes = io::safetensors_bytes(original);
    const tn::AlignedFloats parameters = io::parse_safetensors<M>(bytes, "round trip");
    EXPECT_TRUE(same_bits(parameters.span(), original.parameters())) << model_name;

    // PyTorch's file read and written again gives the same parameters, bit for bit.
    M from_pytorch;
    io::load_safetensors(fixtures / (model_name + ".safetensors"), from_pytorch);
    M again;
    std::ranges::copy(io::parse_safetensors<M>(io::safetensors_bytes(from_pytorch), "again").span(),
                      again.parameters().begin());
    EXPECT_TRUE(same_bits(again.parameters(), from_pytorch.parameters())) << model_name;
    EXPECT_EQ(io::safetensors_bytes(again), io::safetensors_bytes(from_pytorch));
}

TEST(Safetensors, RoundTripIsBitExact) {
    expect_round_trip<Dense>("dense");
    expect_round_trip<Denoising>("denoise");
}

// make_fixtures.py's U-Net is bench/compare/pytorch_unet_denoiser.py's: its
// skips concatenate the chain's channels, then the tagged activation's, into
// the second ConvTranspose2d (64 in, 16 out) and the last Conv2d (32 in).
using UNet = notebook::UNetDenoiser;

TEST(Safetensors, UNetDenoiserComputesWhatPyTorchComputes) { expect_pytorch_parity<UNet>("unet"); }

TEST(Safetensors, UNetDenoiserRoundTripIsBitExact) { expect_round_trip<UNet>("unet"); }

// make_fixtures.py --check-unet: PyTorch's UNetDenoiser takes typenet's file with strict=True.
TEST(Safetensors, UNetDenoiserRoundTripsThroughPyTorch) { expect_pytorch_round_trip<UNet>("unet", {"--check-unet"}); }

// The six convolutions of the one part "layers" in list order, as PyTorch's
// nn.ModuleList numbers them; a ConvTranspose2d's weight is (in, out, kh, kw).
TEST(Safetensors, UNetDenoiserHasTheNamesAndShapesOfPyTorchsStateDict) {
    const std::vector<Expected> expected{{"layers.0.weight", {16, 1, 3, 3}},  {"layers.0.bias", {16}},
                                         {"layers.1.weight", {32, 16, 3, 3}}, {"layers.1.bias", {32}},
                                         {"layers.2.weight", {32, 32, 3, 3}}, {"layers.2.bias", {32}},
                                         {"layers.3.weight", {32, 32, 3, 3}}, {"layers.3.bias", {32}},
                                         {"layers.4.weight", {64, 16, 3, 3}}, {"layers.4.bias", {16}},
                                         {"layers.5.weight", {1, 32, 3, 3}},  {"layers.5.bias", {1}}};
    expect_names_and_shapes<UNet>(expected);
    const io::FloatTensors pytorch = io::load_safetensors_floats(fixtures / "unet.safetensors");
    EXPECT_EQ(pytorch.size(), expected.size()) << "PyTorch's state_dict() holds these tensors alone";
    for (const Expected& tensor : expected) {
        ASSERT_TRUE(pytorch.contains(tensor.name)) << tensor.name;
        EXPECT_EQ(pytorch.at(tensor.name).shape, tensor.shape) << tensor.name;
    }
}

std::vector<std::string> names_of(const std::vector<io::TorchTensor>& tensors) {
    std::vector<std::string> names;
    for (const io::TorchTensor& tensor : tensors) names.push_back(tensor.name);
    return names;
}

using Names = std::vector<std::string>;
using OnePart = tn::Model<tn::Input<3>, tn::Sequential<tn::Dense<4, tn::ReLU>, tn::Dense<2, tn::Sigmoid>>>;
using ThreeParts = tn::Model<tn::Input<2, 3>, tn::Sequential<tn::Flatten, tn::Dense<4>, tn::Dense<6>>,
                             tn::Sequential<tn::Reshape<3, 2>>, tn::Sequential<tn::Flatten, tn::Dense<2>>>;

TEST(Safetensors, PartNamesAreParameters) {
    const std::array<std::string_view, 1> unnamed{""};
    EXPECT_EQ(names_of(io::torch_tensors<OnePart>(unnamed)), (Names{"0.weight", "0.bias", "1.weight", "1.bias"}));
    const std::array<std::string_view, 1> nested{"model.body"};
    EXPECT_EQ(io::torch_tensors<OnePart>(nested)[2].name, "model.body.1.weight");
    EXPECT_THROW(io::torch_tensors<OnePart>(io::encoder_decoder_parts), tn::UsageError);  // two names for one part

    // Numbers count the layers with parameters, restarting in each part; a part without any has no names.
    const std::array<std::string_view, 3> three{"a", "b", "c"};
    EXPECT_EQ(names_of(io::torch_tensors<ThreeParts>(three)),
              (Names{"a.0.weight", "a.0.bias", "a.1.weight", "a.1.bias", "c.0.weight", "c.0.bias"}));
    const std::array<std::string_view, 2> same{"net", "net"};
    try {
        io::torch_tensors<Dense>(same);
        ADD_FAILURE() << "expected a UsageError";
    } catch (const tn::UsageError& error) {
        EXPECT_THAT(error.what(), HasSubstr("give two tensors the name net.0."));
    }
    const std::array<std::string_view, 2> renamed{"enc", "dec"};
    const Dense model = model_with_values<Dense>(5);
    const Bytes bytes = io::safetensors_bytes(model, renamed);
    EXPECT_TRUE(same_bits(io::parse_safetensors<Dense>(bytes, "renamed", renamed).span(), model.parameters()));
    EXPECT_THAT(data_error_message([&] { io::parse_safetensors<Dense>(bytes, "renamed"); }),
                HasSubstr("missing tensor encoder.0.weight; the file holds enc.0.weight, enc.0.bias"));
}

// Without part names, the names of the PyTorch module people write for the model.
TEST(Safetensors, DefaultPartNamesFollowTheModelsParts) {
    // One part: one plain nn.Sequential, no prefix.
    EXPECT_EQ(names_of(io::torch_tensors<OnePart>()), (Names{"0.weight", "0.bias", "1.weight", "1.bias"}));
    // Only single layers as parts: one nn.Sequential too, numbered by the layers with parameters.
    using Layers = tn::Model<tn::Input<2, 3>, tn::Flatten, tn::Dense<4, tn::ReLU>, tn::Reshape<2, 2>, tn::Flatten,
                             tn::Dense<2>>;
    EXPECT_EQ(names_of(io::torch_tensors<Layers>()), (Names{"0.weight", "0.bias", "1.weight", "1.bias"}));
    // Two parts, a single layer among them: encoder and decoder.
    using TwoParts = tn::Model<tn::Input<3>, tn::Sequential<tn::Dense<4, tn::ReLU>, tn::Dense<2>>, tn::Dense<3>>;
    EXPECT_EQ(names_of(io::torch_tensors<TwoParts>()),
              (Names{"encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias", "decoder.0.weight",
                     "decoder.0.bias"}));
    // Three parts: an nn.Sequential of nn.Sequentials; a part without parameters keeps its number.
    EXPECT_EQ(names_of(io::torch_tensors<ThreeParts>()),
              (Names{"0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias", "2.0.weight", "2.0.bias"}));

    // A single layer among three or more parts is a module of its own, as nn.Sequential(encoder, nn.Linear, decoder).
    using LayerBetweenParts = tn::Model<tn::Input<3>, tn::Sequential<tn::Dense<4, tn::ReLU>>, tn::Dense<5>,
                                        tn::Sequential<tn::Dense<2>, tn::Dense<3>>>;
    EXPECT_EQ(names_of(io::torch_tensors<LayerBetweenParts>()),
              (Names{"0.0.weight", "0.0.bias", "1.weight", "1.bias", "2.0.weight", "2.0.bias", "2.1.weight",
                     "2.1.bias"}));

    // Every function takes the same defaults.
    const ThreeParts model = model_with_values<ThreeParts>(6);
    const Bytes bytes = io::safetensors_bytes(model);
    EXPECT_TRUE(header_of(bytes).contains("2.0.weight"));
    EXPECT_TRUE(same_bits(io::parse_safetensors<ThreeParts>(bytes, "three").span(), model.parameters()));
}

struct Body : tn::Sequential<tn::Flatten, tn::Dense<4, tn::ReLU>> {
    static constexpr std::string_view torch_name = "body";
};
struct Head : tn::Sequential<tn::Dense<2>> {
    static constexpr std::string_view torch_name = "model.head";
};
struct Tail : tn::Sequential<tn::Dense<3>> {
    static constexpr std::string_view torch_name = "tail";
};
struct AlsoBody : tn::Sequential<tn::Dense<5>> {
    static constexpr std::string_view torch_name = "body";
};
struct Undeclared : tn::Sequential<tn::Dense<3>> {};

TEST(Safetensors, PartsDeclareTheirTorchNames) {
    static_assert(io::detail::is_torch_module_path("encoder") && io::detail::is_torch_module_path("model.blocks.0_a"));
    static_assert(!io::detail::is_torch_module_path("") && !io::detail::is_torch_module_path("a..b") &&
                  !io::detail::is_torch_module_path(".a") && !io::detail::is_torch_module_path("a.") &&
                  !io::detail::is_torch_module_path("my body") && !io::detail::is_torch_module_path("caf\xc3\xa9"));

    // Declared names come first, even for one part.
    EXPECT_EQ(names_of(io::torch_tensors<tn::Model<tn::Input<2, 3>, Body>>()), (Names{"body.0.weight", "body.0.bias"}));
    using Declared = tn::Model<tn::Input<2, 3>, Body, Head, Tail>;
    EXPECT_EQ(names_of(io::torch_tensors<Declared>()), (Names{"body.0.weight", "body.0.bias", "model.head.0.weight",
                                                              "model.head.0.bias", "tail.0.weight", "tail.0.bias"}));
    const Declared model = model_with_values<Declared>(7);
    EXPECT_TRUE(same_bits(io::parse_safetensors<Declared>(io::safetensors_bytes(model), "declared").span(),
                          model.parameters()));

    // When a part declares none, no part's name is taken: the other rules name them.
    EXPECT_EQ(names_of(io::torch_tensors<tn::Model<tn::Input<2, 3>, Body, Undeclared>>()),
              (Names{"encoder.0.weight", "encoder.0.bias", "decoder.0.weight", "decoder.0.bias"}));
    try {
        io::torch_tensors<tn::Model<tn::Input<2, 3>, Body, AlsoBody>>();
        ADD_FAILURE() << "expected a UsageError";
    } catch (const tn::UsageError& error) {
        EXPECT_THAT(error.what(), HasSubstr("the part names (body, body) give two tensors the name body.0."));
    }
}

TEST(Safetensors, FloatTensorsRoundTrip) {
    // Any name of valid UTF-8 but "__metadata__" is legal: empty, with control characters, beyond ASCII.
    const io::FloatTensors tensors{{"a", {{2, 3}, {1, 2, 3, 4, 5, 6}}}, {"b\"\n", {{}, {-0.5f}}}, {"empty", {{0}, {}}},
                                   {"", {{1}, {2}}}, {"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", {{1}, {3}}}};
    const io::FloatTensors read_back = io::parse_safetensors_floats(io::safetensors_bytes(tensors), "floats");
    ASSERT_EQ(read_back.size(), tensors.size());
    for (const auto& [name, tensor] : tensors) {
        EXPECT_EQ(read_back.at(name).shape, tensor.shape) << name;
        EXPECT_EQ(read_back.at(name).values, tensor.values) << name;
    }
    EXPECT_THROW(io::safetensors_bytes(io::FloatTensors{{"a", {{2, 2}, {1, 2, 3}}}}), tn::UsageError);
}

// A change to a file's header, and how many zero bytes to add to its data
// (or, when negative, to cut from its end) to go with it.
struct HeaderEdit {
    std::function<void(nlohmann::json&)> edit;
    std::ptrdiff_t data_change;
    std::string expected_message;
};

class SafetensorsFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "typenet-safetensors-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr);
        directory_ = name;
    }
    void TearDown() override { fs::remove_all(directory_); }

    fs::path write(const std::string& name, std::span<const unsigned char> bytes) const {
        const fs::path file = directory_ / name;
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return file;
    }

    // The message load_safetensors gives for these bytes as a file; the model must not change.
    template <class M>
    std::string load_failure(std::span<const unsigned char> bytes, M& model) {
        const std::vector<float> before = parameters_of(model);
        const fs::path file = write("bad.safetensors", bytes);
        const std::string message = data_error_message([&] { io::load_safetensors(file, model); });
        EXPECT_THAT(message, StartsWith(file.string() + ": "));
        EXPECT_TRUE(same_bits(before, model.parameters())) << "a failed load changed the model";
        std::cout << "[ message  ] " << message.substr(file.string().size() + 2) << "\n";
        return message;
    }

    void expect_refused(const std::vector<HeaderEdit>& edits);

    fs::path directory_;
};

TEST_F(SafetensorsFileTest, SaveAndLoad) {
    const Denoising original = model_with_values<Denoising>(8);
    const fs::path file = directory_ / "denoise.safetensors";
    io::save_safetensors(file, original);
    EXPECT_EQ(read(file), io::safetensors_bytes(original));
    Denoising loaded;
    io::load_safetensors(file, loaded);
    EXPECT_TRUE(same_bits(loaded.parameters(), original.parameters()));
    EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1)
        << "no temporary file left behind";

    const io::FloatTensors tensors{{"x", {{2}, {1.5f, -2}}}};
    io::save_safetensors(directory_ / "x.safetensors", tensors);
    EXPECT_EQ(io::load_safetensors_floats(directory_ / "x.safetensors").at("x").values, tensors.at("x").values);
    EXPECT_THAT(data_error_message([&] { io::load_safetensors_floats(directory_ / "x.safetensors", 16); }),
                HasSubstr("too large"));
    EXPECT_THAT(data_error_message([&] { io::load_safetensors(directory_ / "none.safetensors", loaded); }),
                HasSubstr("cannot open"));
}

// A name the readers refuse (ours "__metadata__", PyTorch's safetensors any
// header that is not UTF-8) is refused before anything is written, so that a
// save cannot replace a good file with one that cannot be read.
TEST_F(SafetensorsFileTest, NamesReadersRefuseAreRefusedBeforeWriting) {
    const fs::path file = directory_ / "x.safetensors";
    io::save_safetensors(file, io::FloatTensors{{"x", {{2}, {1.5f, -2}}}});
    const Bytes good = read(file);
    for (const std::string name : {"__metadata__", "latin-1 caf\xe9", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
                                   "cut short \xe2\x82", "above U+10FFFF \xf4\x90\x80\x80"}) {
        try {
            io::save_safetensors(file, io::FloatTensors{{"x", {{2}, {1.5f, -2}}}, {name, {{1}, {0.5f}}}});
            ADD_FAILURE() << "expected a typenet::UsageError for the name " << io::printable(name);
        } catch (const tn::UsageError& error) {
            EXPECT_THAT(error.what(), HasSubstr("\"" + io::printable(name) + "\""));
        }
        EXPECT_TRUE(read(file) == good) << "the save of the name " << io::printable(name) << " changed the file";
    }
    EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1)
        << "no temporary file left behind";
}

Bytes data_of(const Bytes& bytes) {
    return {bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_length(bytes)), bytes.end()};
}

Bytes file_with(const std::string& header, const Bytes& data) {
    Bytes bytes;
    bytes.reserve(8 + header.size() + data.size());
    for (std::size_t i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

TEST_F(SafetensorsFileTest, TruncatedFilesAreRefused) {
    Denoising model = model_with_values<Denoising>(9);
    const Bytes good = io::safetensors_bytes(model_with_values<Denoising>(10));
    EXPECT_THAT(load_failure(Bytes(good.begin(), good.begin() + 5), model),
                HasSubstr("truncated: 5 bytes, fewer than the 8 of the header's length"));
    EXPECT_THAT(load_failure(Bytes(good.begin(), good.begin() + 100), model),
                HasSubstr("truncated: the header's length is"));
    EXPECT_THAT(load_failure(Bytes(good.begin(), good.end() - 1), model),
                HasSubstr("truncated: the data_offsets of tensor decoder.2.bias, [12864, 12868], run past the end"));
    // Cut anywhere, a file is refused.
    for (std::size_t size = 0; size < good.size(); size += 97)
        EXPECT_THROW(io::parse_safetensors<Denoising>(std::span(good).first(size), "cut"), tn::DataError) << size;
}

TEST_F(SafetensorsFileTest, AbsurdHeaderLengthIsRefused) {
    Dense model;
    Bytes bytes = io::safetensors_bytes(model);
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = 0;
    bytes[5] = 1;  // 2^40 bytes
    EXPECT_THAT(load_failure(bytes, model), HasSubstr("a header of 1099511627776 bytes, more than the 100000000"));
}

// Each edit of a dense model's file must fail to load with its message.
void SafetensorsFileTest::expect_refused(const std::vector<HeaderEdit>& edits) {
    Dense model = model_with_values<Dense>(12);
    const Bytes good = io::safetensors_bytes(model_with_values<Dense>(13));
    for (const auto& [edit, data_change, expected_message] : edits) {
        nlohmann::json header = header_of(good);
        edit(header);
        Bytes data = data_of(good);
        data.resize(static_cast<std::size_t>(static_cast<std::ptrdiff_t>(data.size()) + data_change));
        EXPECT_THAT(load_failure(file_with(header.dump(), data), model), HasSubstr(expected_message));
    }
}

TEST_F(SafetensorsFileTest, WrongTensorsAreRefused) {
    using nlohmann::json;
    expect_refused({
        {[](json& h) { h["encoder.0.weight"]["shape"] = {784, 64}; }, 0,
         "tensor encoder.0.weight has the shape (784,64) where this model's is (64,784) (PyTorch's layout)"},
        {[](json& h) { h.erase("decoder.0.bias"); }, -784 * 4,
         "missing tensor decoder.0.bias; the file holds decoder.0.weight, encoder.0.bias, encoder.0.weight"},
        {[](json& h) { h["encoder.0.bias"]["dtype"] = "I32"; }, 0,
         "tensor encoder.0.bias is I32; typenet reads F32 only"},
        {[](json& h) { h["encoder.0.bias"]["dtype"] = "F16"; }, 0,
         "tensor encoder.0.bias: a shape of (64) in F16 takes 128 bytes, but its data_offsets are [200704, 200960]"},
        {[](json& h) { h["extra"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {404800, 404804}}}; }, 4,
         "unexpected tensor extra: the model has no tensor of that name (it has encoder.0.weight, encoder.0.bias, "
         "decoder.0.weight, decoder.0.bias)"},
    });
}

using Normalization = tn::Model<tn::Input<3>, tn::BatchNormalization<>>;
constexpr std::size_t normalization_count = 4;  // the index of 0.num_batches_tracked, the last tensor

// Normalization's file with its count stored as `dtype` in `count`'s bytes.
Bytes with_count(const std::string& dtype, std::span<const unsigned char> count) {
    const Bytes good = io::safetensors_bytes(Normalization(1));
    nlohmann::json header = header_of(good);
    Bytes data = data_of(good);
    data.resize(data.size() - 8);
    header["0.num_batches_tracked"]["dtype"] = dtype;
    header["0.num_batches_tracked"]["data_offsets"] = {data.size(), data.size() + count.size()};
    data.insert(data.end(), count.begin(), count.end());
    return file_with(header.dump(), data);
}

Bytes i64_count(std::int64_t count) {
    return with_count("I64", io::little_endian_bytes(static_cast<std::uint64_t>(count)));
}

Bytes f32_count(float count) {
    return with_count("F32", io::little_endian_bytes(std::bit_cast<std::uint32_t>(count)));
}

// A count is read as PyTorch writes it (I64) or as typenet wrote it before (F32),
// and must be a number typenet's float holds exactly.
TEST_F(SafetensorsFileTest, CountsAreWholeNumbersAFloatHolds) {
    const std::size_t at = io::model_tensors<Normalization>[normalization_count].parameter_offset;
    Normalization model;
    io::load_safetensors(write("i64.safetensors", i64_count(16'777'216)), model);
    EXPECT_EQ(model.parameters()[at], 16'777'216.0f);
    io::load_safetensors(write("f32.safetensors", f32_count(7)), model);
    EXPECT_EQ(model.parameters()[at], 7.0f);

    const std::string rule = ", but a count is a whole number from 0 to 16777216 (2^24, the most typenet's float "
                             "counts exactly)";
    EXPECT_THAT(load_failure(i64_count(-1), model), HasSubstr("tensor 0.num_batches_tracked holds -1" + rule));
    EXPECT_THAT(load_failure(i64_count(16'777'217), model), HasSubstr("holds 16777217" + rule));
    EXPECT_THAT(load_failure(i64_count(std::numeric_limits<std::int64_t>::min()), model), HasSubstr(rule));
    EXPECT_THAT(load_failure(f32_count(2.5f), model), HasSubstr("holds 2.5" + rule));
    EXPECT_THAT(load_failure(f32_count(std::numeric_limits<float>::quiet_NaN()), model), HasSubstr("holds nan"));
    EXPECT_THAT(load_failure(with_count("I32", io::little_endian_bytes(std::uint32_t{3})), model),
                HasSubstr("tensor 0.num_batches_tracked is I32; typenet reads a count as I64 (PyTorch's dtype for "
                          "it) or F32"));
    nlohmann::json header = header_of(io::safetensors_bytes(model));
    header["0.weight"]["dtype"] = "I32";
    EXPECT_THAT(load_failure(file_with(header.dump(), data_of(io::safetensors_bytes(model))), model),
                HasSubstr("tensor 0.weight is I32; typenet reads F32 only"));

    // Nor does a save write a count the reader would refuse.
    for (const float count : {-1.0f, 2.5f, 16'777'218.0f, std::numeric_limits<float>::infinity()}) {
        Normalization odd;
        odd.parameters()[at] = count;
        try {
            io::save_safetensors(directory_ / "odd.safetensors", odd);
            ADD_FAILURE() << "expected a typenet::UsageError for the count " << count;
        } catch (const tn::UsageError& error) {
            EXPECT_THAT(error.what(), HasSubstr("cannot save the model as safetensors: tensor "
                                                "0.num_batches_tracked holds"));
        }
        EXPECT_FALSE(fs::exists(directory_ / "odd.safetensors"));
    }
}

TEST_F(SafetensorsFileTest, BadOffsetsAreRefused) {
    // The dense model's data: encoder.0.weight at bytes 0 to 200704, encoder.0.bias
    // to 200960, decoder.0.weight to 401664, decoder.0.bias to 404800.
    using nlohmann::json;
    expect_refused({
        {[](json& h) { h["encoder.0.bias"]["data_offsets"] = {200704 - 256, 200704}; }, 0,
         "tensors encoder.0.weight (data bytes 0 to 200704) and encoder.0.bias (200448 to 200704) overlap"},
        {[](json& h) { h["decoder.0.bias"]["data_offsets"] = {401668, 404804}; }, 4,
         "data bytes 401664 to 401668 belong to no tensor"},
        {[](json& h) { h["decoder.0.bias"]["data_offsets"] = {404800, 401664}; }, 0,
         "but its data_offsets are [404800, 401664]"},
        {[](json& h) { h["decoder.0.bias"]["data_offsets"] = {401672, 404808}; }, 0,
         "truncated: the data_offsets of tensor decoder.0.bias, [401672, 404808], run past the end of the data "
         "(404800 bytes)"},
        {[](json&) {}, 8, "8 bytes after the last tensor's data belong to no tensor"},
    });
}

TEST_F(SafetensorsFileTest, BadJsonIsRefused) {
    Denoising model = model_with_values<Denoising>(16);
    const Bytes good = io::safetensors_bytes(model_with_values<Denoising>(17));
    const Bytes data = data_of(good);
    const std::string header = header_of(good).dump();
    const auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = header;
        const std::size_t at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return text.replace(at, from.size(), to);
    };
    const std::vector<std::pair<std::string, std::string>> cases{
        {header.substr(0, header.size() - 1), "expected '}' or ',' in the header, found the end of the header"},
        {header + "x", "unexpected characters after the header's closing brace"},
        {"[" + header.substr(1), "expected '{' to open the header, found '['"},
        {replaced("\"shape\":[16]", "\"shape\":[016]"), "has a leading zero"},
        {replaced("\"shape\":[16]", "\"shape\":[-16]"), "expected an element of the shape of tensor"},
        {replaced("\"shape\":[16]", "\"shape\":[16.0]"), "is not a whole number"},
        {replaced("\"shape\":[16]", "\"shape\":[18446744073709551616]"), "does not fit in 64 bits"},
        {replaced("\"shape\":[16]", "\"shape\":[16],\"shape\":[16]"), "has \"shape\" twice"},
        {replaced("\"shape\":[16]", "\"strides\":[1]"), "has the field \"strides\""},
        {replaced(",\"shape\":[16]", ""), "has no \"shape\""},
        {replaced("\"dtype\":\"F32\"", "\"dtype\":\"F\\q\""), "an unknown escape \\q"},
        {replaced("\"dtype\":\"F32\"", "\"dtype\":\"\\ud800\""), "a lone high surrogate"},
        {replaced("\"dtype\":\"F32\"", "\"dtype\":\"F64\""), "(8) in F64 takes 64 bytes"},
        {replaced("\"dtype\":\"F32\"", "\"dtype\":\"Q7\""), "the dtype \"Q7\", which safetensors does not define"},
        {replaced("\"dtype\":\"F32\"", "\"dtype\":F32"), "expected '\"' to open the dtype of tensor"},
        {replaced("\"decoder.0.bias\"", "\"encoder.0.bias\""), "tensor \"encoder.0.bias\" appears twice"},
        {replaced("{\"format\":\"pt\"", "{\"format\":1"), "expected '\"' to open a metadata value"},
        {"", "expected '{' to open the header, found the end of the header"},
    };
    for (const auto& [text, expected] : cases)
        EXPECT_THAT(load_failure(file_with(text, data), model), HasSubstr(expected));

    // JSON as another writer may lay it out: spaces, escapes, any order, padding.
    nlohmann::json reordered = header_of(good);
    reordered["__metadata__"]["note"] = "caf\u00e9 \"quoted\"";
    std::string pretty = reordered.dump(2, ' ', true);
    pretty.append(5, ' ');
    Denoising loaded;
    io::load_safetensors(write("pretty.safetensors", file_with(pretty, data)), loaded);
    EXPECT_TRUE(same_bits(loaded.parameters(), model_with_values<Denoising>(17).parameters()));
    const std::string escaped = replaced("\"encoder.0.bias\"", "\"\\u0065ncoder.0.bias\"");
    EXPECT_NO_THROW(io::load_safetensors(write("escaped.safetensors", file_with(escaped, data)), loaded));
}

// Any byte of the header (length included) changed to any of a few telling
// values: the file is refused with a DataError, or, when the change is in the
// metadata or the padding, gives the same parameters; never anything worse.
TEST(Safetensors, EveryCorruptedHeaderByteFailsCleanly) {
    const Denoising model = model_with_values<Denoising>(18);
    const Bytes good = io::safetensors_bytes(model);
    std::size_t refused = 0, accepted = 0;
    for (std::size_t at = 0; at < 8 + header_length(good); ++at)
        for (const unsigned char value : {'"', '{', '}', '[', ',', ':', '0', '9', '\\', ' ', '\0', '\xff'}) {
            if (good[at] == value) continue;
            Bytes bytes = good;
            bytes[at] = value;
            try {
                EXPECT_TRUE(same_bits(io::parse_safetensors<Denoising>(bytes, "corrupted").span(), model.parameters()))
                    << "byte " << at;
                ++accepted;
            } catch (const tn::DataError&) {
                ++refused;
            }
        }
    std::cout << "[ corrupt  ] " << refused << " refused, " << accepted << " accepted (metadata, padding)\n";
    EXPECT_GT(refused, 0u);
}

// With TYPENET_SAFETENSORS_EXPORT=DIR, writes typenet's own weights and its
// outputs on the fixture images for `make_fixtures.py --check DIR`.
TEST(Safetensors, ExportForPyTorch) {
    const char* directory = std::getenv("TYPENET_SAFETENSORS_EXPORT");
    if (directory == nullptr) GTEST_SKIP() << "set TYPENET_SAFETENSORS_EXPORT to a folder to export";
    const io::FloatTensors examples = io::load_safetensors_floats(fixtures / "examples.safetensors");
    const io::FloatTensor& images = examples.at("images");
    const auto export_model = [&](const auto& model, const Computed& computed, const std::string& name,
                                  std::vector<std::size_t> code_shape, std::vector<std::size_t> output_shape) {
        io::save_safetensors(fs::path(directory) / (name + ".safetensors"), model);
        io::save_safetensors(fs::path(directory) / (name + "_outputs.safetensors"),
                             io::FloatTensors{{"images", images},
                                              {"codes", {std::move(code_shape), computed.codes}},
                                              {"outputs", {std::move(output_shape), computed.outputs}}});
    };
    const Dense dense = model_with_values<Dense>(21);
    export_model(dense, compute<Dense, notebook::DenseEncoder>(dense, images.values), "dense", {image_count, 64},
                 {image_count, 28, 28});
    const Denoising denoise = model_with_values<Denoising>(22);
    export_model(denoise, compute<Denoising, notebook::DenoiseEncoder>(denoise, images.values), "denoise",
                 {image_count, 7, 7, 8}, {image_count, 28, 28, 1});
    const Conv conv = model_with_values<Conv>(23);
    export_model(conv, compute<Conv, notebook::ConvEncoder>(conv, images.values), "conv", {image_count, 4, 4, 8},
                 {image_count, 28, 28, 1});
    std::cout << "[ exported ] /usr/bin/python3 tests/pytorch/make_fixtures.py --check " << directory << "\n";
}

}  // namespace
