// Every layer's backward against central differences, over every type list we ship.
#include <algorithm>

#include <gtest/gtest.h>

#include "support/gradient_check.hpp"
#include "notebook_models.hpp"

namespace tn = typenet;
using tn::testing::check_gradients;

template <class M>
void expect_gradients_match(std::uint64_t seed = 1, std::size_t most = std::size_t(-1)) {
    const auto report = check_gradients<M>(seed, most);
    EXPECT_EQ(report.checked, std::min(most, M::parameter_count) + std::min(most, 2 * M::input_shape::size));
    EXPECT_TRUE(report.failures.empty()) << report.failures.size() << " mismatches, first: " << report.failures.front();
    EXPECT_LE(report.kinks, report.checked / 100) << "too many points at a ReLU kink to trust the check";
}

// Of the notebook's models, 1,500 parameters (of 101,200 and 3,217) and 1,500
// inputs (of 1,568), drawn by the seed: every layer is reached, and the test
// command runs them under QEMU too.
TEST(Gradients, DenseAutoencoderOfTheNotebook) { expect_gradients_match<notebook::DenseAutoencoder>(1, 1500); }

TEST(Gradients, DenoisingAutoencoderOfTheNotebook) {
    expect_gradients_match<notebook::DenoisingAutoencoder>(1, 1500);
}

TEST(Gradients, EcgDetectorOfTheTutorial) {
    for (std::uint64_t seed : {1, 2}) expect_gradients_match<notebook::EcgDetector>(seed);
}

// Stride 1 and 2, both paddings, odd and even sizes, 1, 3, 8 and 16 channels.
TEST(Gradients, ConvolutionsStridesPaddingsAndChannels) {
    expect_gradients_match<tn::Model<tn::Input<6, 6, 1>, tn::Conv2D<8, 3, 2, tn::Same, tn::Tanh>,
                                     tn::Conv2DTranspose<3, 3, 2, tn::Same, tn::Sigmoid>>>();
    expect_gradients_match<tn::Model<tn::Input<7, 5, 3>, tn::Conv2D<16, 3, 1, tn::Valid, tn::ReLU>,
                                     tn::Conv2D<8, 3, 2, tn::Valid, tn::Linear>>>();
    expect_gradients_match<tn::Model<tn::Input<5, 5, 16>, tn::Conv2D<3, 3, 2, tn::Same, tn::Tanh>,
                                     tn::Conv2DTranspose<8, 3, 2, tn::Valid, tn::Linear>>>();
    expect_gradients_match<tn::Model<tn::Input<4, 3, 8>, tn::Conv2DTranspose<16, 3, 1, tn::Same, tn::Sigmoid>,
                                     tn::Conv2D<1, 3, 1, tn::Same, tn::Tanh>>>();
    expect_gradients_match<tn::Model<tn::Input<3, 4, 3>, tn::Conv2DTranspose<1, 3, 2, tn::Valid, tn::Tanh>,
                                     tn::Flatten, tn::Dense<5, tn::Sigmoid>>>();
}

TEST(Gradients, EveryActivationAtOddSizes) {
    using M = tn::Model<tn::Input<3, 5>, tn::Flatten, tn::Dense<7, tn::Tanh>, tn::Dense<19, tn::ReLU>,
                        tn::Dense<17, tn::Linear>, tn::Dense<6, tn::Sigmoid>, tn::Reshape<2, 3>>;
    for (std::uint64_t seed : {1, 2, 3}) expect_gradients_match<M>(seed);
}

// As models put them before a normalization: layers without a bias, each
// followed by an Activation layer of its own.
TEST(Gradients, LayersWithoutABiasAndActivationLayers) {
    using M = tn::Model<tn::Input<6, 5, 3>, tn::Conv2D<8, 3, 2, tn::Same, tn::Linear, tn::NoBias>,
                        tn::Activation<tn::LeakyReLU<>>,
                        tn::Conv2DTranspose<16, 3, 1, tn::Valid, tn::Linear, tn::NoBias>, tn::Activation<tn::ELU<>>,
                        tn::Flatten, tn::Dense<9, tn::Linear, tn::NoBias>, tn::Activation<tn::Tanh>,
                        tn::Dense<4, tn::Sigmoid>>;
    for (std::uint64_t seed : {1, 2}) expect_gradients_match<M>(seed);
}

TEST(Gradients, WideLayersCrossVectorTails) {
    using M = tn::Model<tn::Input<37>, tn::Dense<33, tn::Sigmoid>, tn::Dense<70, tn::Tanh>>;
    expect_gradients_match<M>();
}

// The losses' gradients are checked in test_losses.cpp.
