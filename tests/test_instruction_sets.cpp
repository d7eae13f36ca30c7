// The same models trained and run with every instruction set this build can
// run (the kernels are templates on it) agree within float tolerance, so an
// app built for AVX2 or SSE gets the results an AVX-512 build gets.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "notebook_models.hpp"
#include "support/archs.hpp"

namespace tn = typenet;

namespace {

template <class M, class Arch>
std::vector<float> train_then_predict(const std::vector<float>& images, int steps) {
    M model(7);
    tn::Trainer<M, tn::Adam, tn::MSE, 16> trainer(model);
    constexpr std::size_t size = M::input_shape::size;
    for (int step = 0; step < steps; ++step) {
        const std::span<const float> batch(images.data() + (step % 4) * 16 * size, 16 * size);
        trainer.template step<Arch>(batch, batch);
    }
    tn::Workspace<M, 16> workspace;
    const auto y = model.template operator()<Arch>(workspace, std::span(images).first(16 * size));
    std::vector<float> result(y.begin(), y.end());
    result.insert(result.end(), model.parameters().begin(), model.parameters().end());
    return result;
}

std::vector<float> smooth_images(std::size_t count) {
    std::vector<float> images(count * 784);
    tn::Random random(5);
    for (std::size_t i = 0; i < count; ++i) {
        const float phase = random.uniform(0.0f, 6.0f);
        for (std::size_t p = 0; p < 784; ++p)
            images[i * 784 + p] = 0.5f + 0.4f * std::sin(phase + 0.1f * float(p % 28) + 0.07f * float(p / 28));
    }
    return images;
}

template <class M, class Arch>
void expect_same_as_native(int steps) {
    const auto images = smooth_images(64);
    const auto native = train_then_predict<M, tn::kernels::native_arch>(images, steps);
    const auto other = train_then_predict<M, Arch>(images, steps);
    ASSERT_EQ(native.size(), other.size());
    for (std::size_t i = 0; i < native.size(); ++i)
        ASSERT_NEAR(other[i], native[i], 1e-4f * (1.0f + std::abs(native[i]))) << "value " << i;
}

}  // namespace

template <class Arch>
class InstructionSets : public ::testing::Test {};
TYPED_TEST_SUITE(InstructionSets, tn::testing::Archs);

TYPED_TEST(InstructionSets, DenseAutoencoderAgreesWithNative) {
    expect_same_as_native<notebook::DenseAutoencoder, TypeParam>(8);
}

TYPED_TEST(InstructionSets, DenoisingAutoencoderAgreesWithNative) {
    expect_same_as_native<notebook::DenoisingAutoencoder, TypeParam>(4);
}
