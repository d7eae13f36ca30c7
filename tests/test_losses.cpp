// The losses: their kernels against plain references under every instruction
// set this build runs, over awkward sizes; every loss's gradient against
// central differences; Keras's documented values; finite losses and
// gradients at logits of +-1e4 (and probabilities of exactly 0 and 1); the
// reductions; and the accuracies.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "support/float_checks.hpp"
#include "typenet/kernels/losses.hpp"
#include "typenet/losses.hpp"
#include "typenet/random.hpp"

namespace tn = typenet;
namespace kr = typenet::kernels;
using typenet::testing::expect_close;
using typenet::testing::random_floats;
using Native = tn::kernels::native_arch;

namespace {

constexpr std::size_t awkward_sizes[] = {1, 3, 7, 10, 16, 17, 33, 100};

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

bool all_finite(const std::vector<float>& values) {
    return std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); });
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

// Each loss through its own interface: the gradient of the batch's mean (the
// reduction's scale) against central differences of that mean, in double.
template <class Loss, class Out, class Target>
void expect_gradient_matches(std::vector<float> y, const std::vector<Target>& t, std::size_t rows,
                             double tolerance = 2e-3) {
    using Reduction = typename Loss::reduction;
    std::vector<float> gradient(y.size());
    const float scale = Reduction::template gradient_scale<Out>(rows);
    Loss::template sum<Native, Out>(y.data(), t.data(), rows, scale, gradient.data());
    const auto mean = [&] { return Reduction::template mean<Out>(Loss::template sum<Native, Out>(y.data(), t.data(), rows), rows); };
    for (std::size_t i = 0; i < y.size(); ++i) {
        const float saved = y[i], step = 1e-3f;
        y[i] = saved + step;
        const double plus = mean();
        y[i] = saved - step;
        const double minus = mean();
        y[i] = saved;
        const double numeric = (plus - minus) / (2.0 * step);
        EXPECT_NEAR(numeric, gradient[i], tolerance * (1.0 + std::abs(numeric))) << Loss::name << ", element " << i;
    }
}

TEST(LossGradients, MeanSquaredAndAbsoluteErrors) {
    tn::Random random(7);
    std::vector<float> y(45), t(45);
    // Targets at least 0.05 away from the predictions: MAE has a kink where they meet.
    for (std::size_t i = 0; i < y.size(); ++i) {
        y[i] = random.uniform();
        t[i] = y[i] + (random.uniform() < 0.5f ? -1.0f : 1.0f) * random.uniform(0.05f, 0.5f);
    }
    expect_gradient_matches<tn::MSE, tn::Shape<3, 5>>(y, t, 3);
    expect_gradient_matches<tn::MAE, tn::Shape<3, 5>>(y, t, 3);
}

TEST(LossGradients, BinaryCrossentropies) {
    const auto z = random_floats(3 * 7, 10, -4.0f, 4.0f), t = random_floats(3 * 7, 11, 0.0f, 1.0f);
    const auto y = random_floats(3 * 7, 12, 0.05f, 0.95f);  // inside the clip, away from its edges
    expect_gradient_matches<tn::BinaryCrossentropy<tn::FromLogits>, tn::Shape<7>>(z, t, 3);
    expect_gradient_matches<tn::BinaryCrossentropy<>, tn::Shape<7>>(y, t, 3);
}

TEST(LossGradients, CategoricalCrossentropies) {
    const auto z = random_floats(4 * 10, 13, -4.0f, 4.0f);
    const auto y = random_distributions(4, 10, 14);
    const auto labels = random_labels(4, 10, 15);
    const auto hot = one_hot(labels, 10);
    expect_gradient_matches<tn::CategoricalCrossentropy<tn::FromLogits>, tn::Shape<10>>(z, hot, 4);
    expect_gradient_matches<tn::CategoricalCrossentropy<>, tn::Shape<10>>(y, hot, 4);
    expect_gradient_matches<tn::SparseCategoricalCrossentropy<tn::FromLogits>, tn::Shape<10>>(z, labels, 4);
    expect_gradient_matches<tn::SparseCategoricalCrossentropy<>, tn::Shape<10>>(y, labels, 4);
    // Soft targets, and rows of several class vectors (outputs (2, 5): 2 a row).
    const auto soft = random_distributions(8, 5, 16);
    expect_gradient_matches<tn::CategoricalCrossentropy<tn::FromLogits>, tn::Shape<2, 5>>(z, soft, 4);
    expect_gradient_matches<tn::CategoricalCrossentropy<>, tn::Shape<2, 5>>(y, soft, 4);
}

// The reductions, as Keras's: a crossentropy is summed over the classes and
// averaged over the class vectors; binary crossentropy, MSE and MAE are
// averaged over every element.
TEST(Losses, ReduceAsKerasDoes) {
    EXPECT_EQ((tn::MeanOverElements::mean<tn::Shape<28, 28>>(784.0 * 2, 2)), 1.0);
    EXPECT_EQ(tn::MeanOverClassVectors::mean<tn::Shape<10>>(6.0, 3), 2.0);
    EXPECT_EQ((tn::MeanOverClassVectors::mean<tn::Shape<4, 10>>(8.0, 2)), 1.0);  // 4 vectors a row
    EXPECT_EQ(tn::MeanOverClassVectors::gradient_scale<tn::Shape<10>>(32), 1.0f / 32.0f);
    EXPECT_EQ(tn::MeanOverElements::gradient_scale<tn::Shape<10>>(32), 1.0f / 320.0f);
}

// The examples of Keras's documentation (tf.keras.losses), reduced to their mean.
TEST(Losses, GiveKerasDocumentedValues) {
    using Flat3 = tn::Shape<3>;
    const std::vector<float> y{0.05f, 0.95f, 0.0f, 0.1f, 0.8f, 0.1f};
    const std::vector<std::int32_t> labels{1, 2};
    const std::vector<float> hot{0, 1, 0, 0, 0, 1};
    EXPECT_NEAR((tn::SparseCategoricalCrossentropy<>::sum<Native, Flat3>(y.data(), labels.data(), 2)) / 2, 1.177, 1e-3);
    EXPECT_NEAR((tn::CategoricalCrossentropy<>::sum<Native, Flat3>(y.data(), hot.data(), 2)) / 2, 1.177, 1e-3);

    using Flat2 = tn::Shape<2>;
    const std::vector<float> p{0.6f, 0.4f, 0.4f, 0.6f}, t{0, 1, 0, 0};
    EXPECT_NEAR((tn::BinaryCrossentropy<>::sum<Native, Flat2>(p.data(), t.data(), 2)) / 4, 0.815, 1e-3);
    const std::vector<float> z{-18.6f, 0.51f, 2.94f, -12.8f}, t1{0, 1, 0, 0};
    EXPECT_NEAR((tn::BinaryCrossentropy<tn::FromLogits>::sum<Native, tn::Shape<4>>(z.data(), t1.data(), 1)) / 4,
                0.865, 1e-3);

    // From logits, the crossentropy of softmax(z): log-sum-exp minus the label's logit.
    const std::vector<float> logits{1.0f, 2.0f, 3.0f};
    const std::vector<std::int32_t> first{0};
    const double from_logits =
        tn::SparseCategoricalCrossentropy<tn::FromLogits>::sum<Native, Flat3>(logits.data(), first.data(), 1);
    EXPECT_NEAR(from_logits, std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1.0, 1e-6);
}

// Logits of +-1e4: log-sum-exp keeps every loss and gradient finite, and
// exact (a wrong class's loss is the logits' distance, 2e4).
TEST(Losses, FiniteAtLogitsOfTenThousand) {
    std::vector<float> z(2 * 10, -1e4f);
    z[3] = 1e4f;       // row 0: class 3 is certain
    z[10 + 7] = 1e4f;  // row 1: class 7 is certain
    const std::vector<std::int32_t> labels{3, 2};  // right, then wrong
    std::vector<float> gradient(20);
    const double loss = tn::SparseCategoricalCrossentropy<tn::FromLogits>::sum<Native, tn::Shape<10>>(
        z.data(), labels.data(), 2, 0.5f, gradient.data());
    EXPECT_DOUBLE_EQ(loss, 2e4);
    EXPECT_TRUE(all_finite(gradient));
    EXPECT_FLOAT_EQ(gradient[10 + 2], -0.5f);  // pulls the right class up
    EXPECT_FLOAT_EQ(gradient[10 + 7], 0.5f);   // and the wrong one down
    EXPECT_FLOAT_EQ(gradient[3], 0.0f);

    const auto hot = one_hot(labels, 10);
    const double categorical = tn::CategoricalCrossentropy<tn::FromLogits>::sum<Native, tn::Shape<10>>(
        z.data(), hot.data(), 2, 0.5f, gradient.data());
    EXPECT_DOUBLE_EQ(categorical, 2e4);
    EXPECT_TRUE(all_finite(gradient));

    const std::vector<float> logits{1e4f, -1e4f, 1e4f, -1e4f}, targets{0, 1, 1, 0};
    std::vector<float> binary_gradient(4);
    const double binary = tn::BinaryCrossentropy<tn::FromLogits>::sum<Native, tn::Shape<4>>(
        logits.data(), targets.data(), 1, 0.25f, binary_gradient.data());
    EXPECT_DOUBLE_EQ(binary, 2e4);
    EXPECT_TRUE(all_finite(binary_gradient));
    EXPECT_FLOAT_EQ(binary_gradient[0], 0.25f);
    EXPECT_FLOAT_EQ(binary_gradient[1], -0.25f);
}

// Probabilities of exactly 0 and 1 are clipped to [1e-7, 1 - 1e-7] as Keras
// clips them: finite losses (-log(2e-7) at most), and the clip passes no gradient.
TEST(Losses, ProbabilitiesAreClipped) {
    const std::vector<float> p{0.0f, 1.0f, 0.0f, 1.0f}, t{1, 0, 0, 1};
    std::vector<float> gradient(4);
    const double loss = tn::BinaryCrossentropy<>::sum<Native, tn::Shape<4>>(p.data(), t.data(), 1, 0.25f, gradient.data());
    EXPECT_TRUE(std::isfinite(loss));
    EXPECT_NEAR(loss, 2 * -std::log(2e-7), 0.2);
    EXPECT_LT(loss / 4, 16.2);
    for (const float g : gradient) EXPECT_EQ(g, 0.0f);

    const std::vector<float> y{0.0f, 1.0f, 0.0f};
    const std::vector<std::int32_t> wrong{0};
    std::vector<float> categorical_gradient(3);
    const double categorical = tn::SparseCategoricalCrossentropy<>::sum<Native, tn::Shape<3>>(
        y.data(), wrong.data(), 1, 1.0f, categorical_gradient.data());
    EXPECT_TRUE(std::isfinite(categorical));
    EXPECT_NEAR(categorical, -std::log(1e-7), 0.01);
    EXPECT_TRUE(all_finite(categorical_gradient));
}

TEST(Accuracy, CountsAsKerasMetricsDo) {
    const std::vector<float> y{0.1f, 0.7f, 0.2f,   // class 1
                               0.5f, 0.5f, 0.0f,   // a tie: the first, class 0
                               0.2f, 0.3f, 0.5f};  // class 2
    const std::vector<std::int32_t> labels{1, 1, 2};
    EXPECT_EQ(tn::SparseCategoricalAccuracy::correct<tn::Shape<3>>(y.data(), labels.data(), 3, tn::Scores::probabilities), 2u);
    const auto hot = one_hot(labels, 3);
    EXPECT_EQ(tn::CategoricalAccuracy::correct<tn::Shape<3>>(y.data(), hot.data(), 3, tn::Scores::probabilities), 2u);
    // (1, 3) outputs: three vectors of three a row, as many predictions.
    EXPECT_EQ((tn::CategoricalAccuracy::correct<tn::Shape<3, 3>>(y.data(), hot.data(), 1, tn::Scores::probabilities)), 2u);

    const std::vector<float> p{0.6f, 0.5f, 0.2f, 0.9f}, t{1, 1, 0, 0};  // 0.5 is not above 0.5
    EXPECT_EQ(tn::BinaryAccuracy::correct<tn::Shape<4>>(p.data(), t.data(), 1, tn::Scores::probabilities), 2u);
    const std::vector<float> z{0.4f, 0.1f, -0.2f, 2.0f};  // from logits the threshold is 0
    EXPECT_EQ(tn::BinaryAccuracy::correct<tn::Shape<4>>(z.data(), t.data(), 1, tn::Scores::logits), 3u);
}
