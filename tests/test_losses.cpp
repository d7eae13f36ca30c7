// The losses' kernels against plain references under every instruction set
// this build runs, over awkward sizes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "typenet/kernels/losses.hpp"
#include "typenet/random.hpp"

namespace tn = typenet;
namespace kr = typenet::kernels;

namespace {

constexpr std::size_t awkward_sizes[] = {1, 3, 7, 10, 16, 17, 33, 100};

std::vector<float> random_floats(std::size_t n, std::uint64_t seed, float low, float high) {
    tn::Random random(seed);
    std::vector<float> values(n);
    for (auto& v : values) v = random.uniform(low, high);
    return values;
}

// Random distributions over n classes, one a vector.
std::vector<float> random_distributions(std::size_t vectors, std::size_t n, std::uint64_t seed) {
    auto values = random_floats(vectors * n, seed, 0.05f, 1.0f);
    for (std::size_t v = 0; v < vectors; ++v) {
        double sum = 0.0;
        for (std::size_t k = 0; k < n; ++k) sum += values[v * n + k];
        for (std::size_t k = 0; k < n; ++k) values[v * n + k] = static_cast<float>(values[v * n + k] / sum);
    }
    return values;
}

std::vector<std::int32_t> random_labels(std::size_t rows, std::size_t classes, std::uint64_t seed) {
    tn::Random random(seed);
    std::vector<std::int32_t> labels(rows);
    for (auto& label : labels) label = static_cast<std::int32_t>(random.below(classes));
    return labels;
}

std::vector<float> one_hot(const std::vector<std::int32_t>& labels, std::size_t classes) {
    std::vector<float> targets(labels.size() * classes, 0.0f);
    for (std::size_t r = 0; r < labels.size(); ++r) targets[r * classes + static_cast<std::size_t>(labels[r])] = 1.0f;
    return targets;
}

void expect_close(const std::vector<float>& actual, const std::vector<float>& expected, float tolerance,
                  const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i)
        ASSERT_NEAR(actual[i], expected[i], tolerance * (1.0f + std::abs(expected[i]))) << what << " at " << i;
}

}  // namespace

template <class Arch>
class LossKernels : public ::testing::Test {};
TYPED_TEST_SUITE(LossKernels, tn::testing::Archs);

TYPED_TEST(LossKernels, BinaryCrossentropiesMatchReference) {
    for (const std::size_t n : awkward_sizes) {
        const auto z = random_floats(n, 1 + n, -8.0f, 8.0f), t = random_floats(n, 2 + n, 0.0f, 1.0f);
        // Probabilities across the whole range, the clip's edges included.
        auto y = random_floats(n, 3 + n, 0.0f, 1.0f);
        y[0] = 0.0f;
        if (n > 1) y[n - 1] = 1.0f;
        const float scale = 1.0f / static_cast<float>(n);
        std::vector<float> g(n), expected(n);
        EXPECT_NEAR(kr::binary_crossentropy_from_logits<TypeParam>(z.data(), t.data(), n, scale, g.data()),
                    kr::reference::binary_crossentropy_from_logits(z.data(), t.data(), n, scale, expected.data()),
                    1e-5 * n);
        expect_close(g, expected, 1e-6f, fmt::format("binary crossentropy from logits, {} elements", n));
        EXPECT_NEAR(kr::binary_crossentropy<TypeParam>(y.data(), t.data(), n, scale, g.data()),
                    kr::reference::binary_crossentropy(y.data(), t.data(), n, scale, expected.data()), 1e-5 * n);
        expect_close(g, expected, 1e-5f, fmt::format("binary crossentropy, {} elements", n));
    }
}

// Class indices are one-hot targets: the sparse kernels are checked against
// the categorical references on the one-hot form of their labels.
TYPED_TEST(LossKernels, CategoricalCrossentropiesMatchReference) {
    for (const std::size_t vectors : {1, 3})
        for (const std::size_t n : awkward_sizes) {
            const std::string what = fmt::format("{} vectors of {}", vectors, n);
            const auto z = random_floats(vectors * n, 4 + n, -6.0f, 6.0f);
            const auto y = random_distributions(vectors, n, 5 + n);
            const auto t = random_distributions(vectors, n, 6 + n);  // any weights, not only one-hot
            const auto labels = random_labels(vectors, n, 7 + n);
            const auto hot = one_hot(labels, n);
            const float scale = 1.0f / static_cast<float>(vectors);
            std::vector<float> g(vectors * n), expected(vectors * n);

            EXPECT_NEAR(kr::categorical_crossentropy_from_logits<TypeParam>(z.data(), t.data(), vectors, n, scale,
                                                                             g.data()),
                        kr::reference::categorical_crossentropy_from_logits(z.data(), t.data(), vectors, n, scale,
                                                                            expected.data()),
                        1e-5 * vectors * n);
            expect_close(g, expected, 1e-6f, "categorical from logits, " + what);
            EXPECT_NEAR(kr::sparse_categorical_crossentropy_from_logits<TypeParam>(z.data(), labels.data(), vectors,
                                                                                    n, scale, g.data()),
                        kr::reference::categorical_crossentropy_from_logits(z.data(), hot.data(), vectors, n, scale,
                                                                            expected.data()),
                        1e-5 * vectors * n);
            expect_close(g, expected, 1e-6f, "sparse categorical from logits, " + what);
            EXPECT_NEAR(kr::categorical_crossentropy<TypeParam>(y.data(), t.data(), vectors, n, scale, g.data()),
                        kr::reference::categorical_crossentropy(y.data(), t.data(), vectors, n, scale, expected.data()),
                        1e-5 * vectors * n);
            expect_close(g, expected, 1e-5f, "categorical, " + what);
            EXPECT_NEAR(kr::sparse_categorical_crossentropy<TypeParam>(y.data(), labels.data(), vectors, n, scale,
                                                                        g.data()),
                        kr::reference::categorical_crossentropy(y.data(), hot.data(), vectors, n, scale,
                                                                expected.data()),
                        1e-5 * vectors * n);
            expect_close(g, expected, 1e-5f, "sparse categorical, " + what);
        }
}

// Without a gradient the kernels give the same sum and write nothing.
TYPED_TEST(LossKernels, TheSumAloneIsTheSame) {
    const auto z = random_floats(3 * 10, 8, -5.0f, 5.0f);
    const auto labels = random_labels(3, 10, 9);
    std::vector<float> g(30);
    EXPECT_EQ(kr::sparse_categorical_crossentropy_from_logits<TypeParam>(z.data(), labels.data(), 3, 10, 0.1f, g.data()),
              kr::sparse_categorical_crossentropy_from_logits<TypeParam>(z.data(), labels.data(), 3, 10, 0.0f, nullptr));
}
