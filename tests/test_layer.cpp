// test_layer over every layer we ship, at odd and even sizes and 1, 3, 8 and
// 16 channels, Softmax over vectors of 1 to 33; a layer of the user's own
// (support/scale_layer.hpp); and test_layer catching a wrong backward, one
// that adds to its gradients instead of writing them, and a forward that
// writes more scratch than it declares.
#include <algorithm>
#include <array>
#include <type_traits>

#include <gtest/gtest.h>

#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"
#include "support/scale_layer.hpp"

namespace tn = typenet;
using tn::testing::test_layer;

namespace {

using tn::testing::Mistake;
using tn::testing::Scale;

template <class Layer, class In>
void expect_passes(tn::testing::LayerTestOptions options = {}) {
    const auto report = test_layer<Layer, In>(options);
    EXPECT_TRUE(report.passed()) << report.summary();
    EXPECT_GT(report.checked, 0u) << report.summary();
}

}  // namespace

TEST(TestLayer, Dense) {
    expect_passes<tn::Dense<7, tn::Tanh>, tn::Shape<5>>();
    expect_passes<tn::Dense<33, tn::Sigmoid>, tn::Shape<37>>();
    expect_passes<tn::Dense<19, tn::ReLU>, tn::Shape<16>>({.seed = 3, .rows = 3});
    expect_passes<tn::Dense<1, tn::Linear>, tn::Shape<8>>({.rows = 1});
}

TEST(TestLayer, Conv2D) {
    expect_passes<tn::Conv2D<8, 3, 2, tn::Same, tn::Tanh>, tn::Shape<6, 6, 1>>();
    expect_passes<tn::Conv2D<16, 3, 1, tn::Valid, tn::ReLU>, tn::Shape<7, 5, 3>>();
    expect_passes<tn::Conv2D<3, 3, 2, tn::Same, tn::Sigmoid>, tn::Shape<5, 5, 16>>();
    expect_passes<tn::Conv2D<1, 3, 1, tn::Same, tn::Linear>, tn::Shape<4, 6, 8>>();
}

TEST(TestLayer, LeakyReLUAndELUInDenseAndConvolutions) {
    expect_passes<tn::Dense<7, tn::LeakyReLU<>>, tn::Shape<5>>();
    expect_passes<tn::Dense<16, tn::ELU<>>, tn::Shape<9>>();
    expect_passes<tn::Conv2D<8, 3, 1, tn::Same, tn::LeakyReLU<"0.2">>, tn::Shape<5, 4, 3>>();
    expect_passes<tn::Conv2D<3, 3, 2, tn::Valid, tn::ELU<"0.5">>, tn::Shape<6, 7, 16>>();
    expect_passes<tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ELU<>>, tn::Shape<3, 4, 1>>();
    expect_passes<tn::Conv2DTranspose<1, 3, 1, tn::Valid, tn::LeakyReLU<>>, tn::Shape<4, 3, 8>>();
}

TEST(TestLayer, Conv2DTranspose) {
    expect_passes<tn::Conv2DTranspose<3, 3, 2, tn::Same, tn::Sigmoid>, tn::Shape<3, 3, 8>>();
    expect_passes<tn::Conv2DTranspose<16, 3, 1, tn::Same, tn::Tanh>, tn::Shape<4, 3, 8>>();
    expect_passes<tn::Conv2DTranspose<1, 3, 2, tn::Valid, tn::Linear>, tn::Shape<3, 4, 3>>();
    expect_passes<tn::Conv2DTranspose<8, 3, 2, tn::Valid, tn::ReLU>, tn::Shape<5, 5, 16>>({.seed = 2});
}

TEST(TestLayer, WithoutABias) {
    expect_passes<tn::Dense<7, tn::Tanh, tn::NoBias>, tn::Shape<5>>();
    expect_passes<tn::Dense<16, tn::LeakyReLU<>, tn::NoBias>, tn::Shape<33>>({.seed = 2, .rows = 3});
    expect_passes<tn::Conv2D<8, 3, 2, tn::Same, tn::ELU<>, tn::NoBias>, tn::Shape<6, 6, 1>>();
    expect_passes<tn::Conv2D<16, 3, 1, tn::Valid, tn::Linear, tn::NoBias>, tn::Shape<7, 5, 3>>();
    expect_passes<tn::Conv2D<3, 3, 1, tn::Same, tn::Sigmoid, tn::NoBias>, tn::Shape<5, 4, 16>>();
    expect_passes<tn::Conv2D<1, 3, 2, tn::Valid, tn::Tanh, tn::NoBias>, tn::Shape<5, 5, 8>>();
    expect_passes<tn::Conv2DTranspose<3, 3, 2, tn::Same, tn::Linear, tn::NoBias>, tn::Shape<3, 3, 8>>();
    expect_passes<tn::Conv2DTranspose<16, 3, 1, tn::Valid, tn::LeakyReLU<"0.2">, tn::NoBias>, tn::Shape<4, 3, 1>>();
    expect_passes<tn::Conv2DTranspose<1, 3, 2, tn::Same, tn::ELU<>, tn::NoBias>, tn::Shape<3, 4, 16>>();
    expect_passes<tn::Conv2DTranspose<8, 3, 2, tn::Valid, tn::Tanh, tn::NoBias>, tn::Shape<2, 5, 3>>();
}

// A kernel and nothing else; the choice survives with_activation (loss_input.hpp).
using UnbiasedConv = tn::Conv2D<16, 3, 1, tn::Same, tn::Sigmoid, tn::NoBias>::Bound<tn::Shape<5, 5, 3>>;
static_assert(UnbiasedConv::parameter_count == 3 * 3 * 3 * 16 && UnbiasedConv::tensors.size() == 1);
static_assert(std::is_same_v<tn::Dense<4, tn::Sigmoid, tn::NoBias>::with_activation<tn::Linear>,
                             tn::Dense<4, tn::Linear, tn::NoBias>>);
static_assert(
    std::is_same_v<tn::Conv2DTranspose<4, 3, 2, tn::Same, tn::Sigmoid, tn::NoBias>::with_activation<tn::Linear>,
                   tn::Conv2DTranspose<4, 3, 2, tn::Same, tn::Linear, tn::NoBias>>);
// The default is Bias, written or not.
static_assert(std::is_same_v<tn::Dense<4, tn::ReLU>, tn::Dense<4, tn::ReLU, tn::Bias>>);

TEST(TestLayer, TheNotebooksLargestLayersOnSeededSubsets) {
    expect_passes<tn::Dense<64, tn::ReLU>, tn::Shape<784>>({.max_points = 300});
    expect_passes<tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>, tn::Shape<14, 14, 8>>({.max_points = 300});
}

// Any shape, element by element: images of 1, 3, 8 and 16 channels, odd and
// even sizes, flat rows that leave vector tails.
TEST(TestLayer, Activation) {
    expect_passes<tn::Activation<tn::LeakyReLU<>>, tn::Shape<5, 4, 1>>();
    expect_passes<tn::Activation<tn::LeakyReLU<"0.2">>, tn::Shape<3, 3, 3>>({.seed = 2, .rows = 3});
    expect_passes<tn::Activation<tn::ELU<>>, tn::Shape<4, 3, 8>>();
    expect_passes<tn::Activation<tn::ELU<"0.5">>, tn::Shape<2, 3, 16>>();
    expect_passes<tn::Activation<tn::Sigmoid>, tn::Shape<33>>();
    expect_passes<tn::Activation<tn::Tanh>, tn::Shape<7>>({.rows = 1});
    expect_passes<tn::Activation<tn::ReLU>, tn::Shape<6, 16>>();
    expect_passes<tn::Activation<tn::Linear>, tn::Shape<1>>();
}

// Over the last axis, whatever the rank: (4, 7) is four vectors of seven a row.
TEST(TestLayer, Softmax) {
    expect_passes<tn::Softmax, tn::Shape<10>>();
    expect_passes<tn::Softmax, tn::Shape<3>>({.seed = 2, .rows = 3});
    expect_passes<tn::Softmax, tn::Shape<33>>();
    expect_passes<tn::Softmax, tn::Shape<4, 7>>();
    expect_passes<tn::Softmax, tn::Shape<1>>({.rows = 1});
}

TEST(TestLayer, ViewsKeepTheirSize) {
    const auto report = test_layer<tn::Reshape<2, 6>, tn::Shape<3, 4>>();
    EXPECT_TRUE(report.passed()) << report.summary();
}

TEST(TestLayer, ALayerOfTheUsersOwn) {
    expect_passes<Scale<>, tn::Shape<3, 2, 4>>();
    expect_passes<Scale<>, tn::Shape<5>>();
}

TEST(TestLayer, CatchesAWrongBackward) {
    const auto report = test_layer<Scale<"1", Mistake::doubled_factor_gradient>, tn::Shape<2, 3>>();
    std::printf("%s\n", report.summary().c_str());
    EXPECT_FALSE(report.passed());
    ASSERT_EQ(report.failures.size(), 1u) << report.summary();
    EXPECT_NE(report.failures[0].find("factor (1): analytic"), std::string::npos) << report.failures[0];
}

TEST(TestLayer, CatchesABackwardThatAddsInsteadOfWriting) {
    const auto report = test_layer<Scale<"1", Mistake::adds_to_input_gradient>, tn::Shape<2, 3>>();
    std::printf("%s\n", report.summary().c_str());
    EXPECT_FALSE(report.passed());
    EXPECT_EQ(report.failures.size(), 2u * 6u) << report.summary();  // every input element of both rows
    EXPECT_NE(report.failures[0].find("input (0,0,0): backward did not write"), std::string::npos)
        << report.failures[0];
}

TEST(TestLayer, CatchesAForwardThatWritesPastItsScratch) {
    const auto report = test_layer<Scale<"1", Mistake::overruns_forward_scratch>, tn::Shape<2, 3>>();
    EXPECT_FALSE(report.passed());
    ASSERT_EQ(report.failures.size(), 1u) << report.summary();
    EXPECT_EQ(report.failures[0], "forward wrote past its forward_scratch_floats (0) of scratch");
}

// Both phases. In training, the derivative of the whole batch's
// normalization, statistics included; in inference, the affine of the moving
// statistics (test_layer leaves them as initialized, mean 0 and variance 1,
// plus the same small noise as every parameter).
TEST(TestLayer, BatchNormalization) {
    for (const tn::Phase phase : {tn::Phase::training, tn::Phase::inference}) {
        expect_passes<tn::BatchNormalization<>, tn::Shape<4, 3, 8>>({.phase = phase});
        expect_passes<tn::BatchNormalization<>, tn::Shape<3, 5, 3>>({.seed = 2, .rows = 3, .phase = phase});
        expect_passes<tn::BatchNormalization<"0.9", "1e-5">, tn::Shape<7>>({.rows = 4, .phase = phase});
        expect_passes<tn::BatchNormalization<>, tn::Shape<2, 2, 16>>({.rows = 1, .phase = phase});
    }
}

// In training, one mask (the pass is fixed), whose derivative is the mask; in inference, the identity.
TEST(TestLayer, Dropout) {
    for (const tn::Phase phase : {tn::Phase::training, tn::Phase::inference}) {
        expect_passes<tn::Dropout<"0.25">, tn::Shape<4, 3, 8>>({.phase = phase});
        expect_passes<tn::Dropout<"0.5">, tn::Shape<33>>({.rows = 3, .phase = phase});
        expect_passes<tn::Dropout<"0">, tn::Shape<5>>({.phase = phase});
    }
}

TEST(TestLayer, ChannelAffine) {
    expect_passes<tn::ChannelAffine, tn::Shape<4, 3, 8>>();
    expect_passes<tn::ChannelAffine, tn::Shape<7>>({.rows = 3});
}
