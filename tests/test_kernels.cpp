// Every SIMD kernel against its plain reference twin, under every instruction
// set this build can run, over sizes that leave vector tails (784 and 64 do not).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "support/float_checks.hpp"
#include "typenet/activations.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/losses.hpp"
#include "typenet/kernels/matmul.hpp"
#include "typenet/kernels/optimizers.hpp"
#include "typenet/random.hpp"

namespace tn = typenet;
namespace kr = typenet::kernels;
using typenet::testing::expect_close;
using typenet::testing::random_floats;

namespace {

constexpr std::size_t awkward_sizes[] = {1, 3, 4, 7, 15, 16, 17, 31, 33, 63, 65, 100};

float largest_magnitude(const std::vector<float>& values) {
    float largest = 0.0f;
    for (const float value : values) largest = std::max(largest, std::abs(value));
    return largest;
}

std::size_t non_finite_count(const std::vector<float>& values) {
    return static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](float x) { return !std::isfinite(x); }));
}

}  // namespace

template <class Arch>
class Kernels : public ::testing::Test {};
TYPED_TEST_SUITE(Kernels, tn::testing::Archs);

// Row counts that leave every kind of block: six, four and two rows (AVX-512) and single rows.
TYPED_TEST(Kernels, MatmulBroadcastMatchesReference) {
    for (std::size_t m : {1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14})
        for (std::size_t n : awkward_sizes)
            for (std::size_t depth : {1, 6, 17})
                for (bool transposed : {false, true})
                    for (bool accumulate : {false, true}) {
                        const auto a = random_floats(m * depth, 1);
                        const auto b = random_floats(depth * n, 2);
                        auto c = random_floats(m * n, 3), expected = c;
                        const kr::Strided view = transposed ? kr::Strided{a.data(), 1, m} : kr::Strided{a.data(), depth, 1};
                        kr::matmul_broadcast<TypeParam>(m, n, depth, view, b.data(), n, c.data(), n, accumulate);
                        kr::reference::matmul_broadcast(m, n, depth, view, b.data(), n, expected.data(), n, accumulate);
                        expect_close(c, expected, 1e-5f, fmt::format("m={} n={} depth={}", m, n, depth));
                    }
}

// Single rows skip their zero entries (an image's background): same results.
TYPED_TEST(Kernels, MatmulBroadcastWithZerosMatchesReference) {
    for (std::size_t m : {1, 3, 5})
        for (std::size_t n : {7, 64, 100})
            for (std::size_t depth : {1, 9, 33, 784, 1500}) {
                auto a = random_floats(m * depth, 30);
                for (std::size_t i = 0; i < a.size(); i += 2) a[i] = 0.0f;
                for (std::size_t i = 0; i < std::min<std::size_t>(a.size(), 40); ++i) a[i] = 0.0f;
                const auto b = random_floats(depth * n, 31);
                std::vector<float> c(m * n), expected(m * n);
                kr::matmul_broadcast<TypeParam>(m, n, depth, {a.data(), depth, 1}, b.data(), n, c.data(), n, false);
                kr::reference::matmul_broadcast(m, n, depth, {a.data(), depth, 1}, b.data(), n, expected.data(), n, false);
                expect_close(c, expected, 1e-5f, fmt::format("zeros m={} n={} depth={}", m, n, depth));
            }
}

TYPED_TEST(Kernels, MatmulDotMatchesReference) {
    // 17 and 35 rows fill whole and partial tiles of AVX-512's one-column products.
    for (std::size_t m : {1, 3, 4, 6, 13, 17, 35})
        for (std::size_t n : {1, 2, 3, 5, 8, 17})
            for (std::size_t depth : awkward_sizes)
                for (bool accumulate : {false, true}) {
                    const auto a = random_floats(m * depth, 4);
                    const auto b = random_floats(n * depth, 5);
                    auto c = random_floats(m * n, 6), expected = c;
                    kr::matmul_dot<TypeParam>(m, n, depth, a.data(), depth, b.data(), depth, c.data(), n, accumulate);
                    kr::reference::matmul_dot(m, n, depth, a.data(), depth, b.data(), depth, expected.data(), n, accumulate);
                    expect_close(c, expected, 1e-5f, fmt::format("m={} n={} depth={}", m, n, depth));
                }
}

// The shares' gradients are summed in share order into one of them.
TYPED_TEST(Kernels, SumInOrderMatchesReference) {
    for (std::size_t n : {1, 2, 3, 4})
        for (std::size_t count : awkward_sizes)
            for (std::size_t into = 0; into < n; ++into) {
                std::vector<std::vector<float>> sources;
                for (std::size_t s = 0; s < n; ++s) sources.push_back(random_floats(count, 60 + s, -1e3f, 1e3f));
                std::vector<float> expected(count);
                for (std::size_t i = 0; i < count; ++i) {
                    float sum = sources[0][i];
                    for (std::size_t s = 1; s < n; ++s) sum += sources[s][i];
                    expected[i] = sum;
                }
                std::vector<const float*> pointers;
                for (const auto& source : sources) pointers.push_back(source.data());
                kr::sum_in_order<TypeParam>(sources[into].data(), pointers.data(), n, count);
                for (std::size_t i = 0; i < count; ++i)
                    ASSERT_EQ(sources[into][i], expected[i]) << "n=" << n << " count=" << count << " into=" << into;
            }
}

TYPED_TEST(Kernels, SumEachIsLaneWise) {
    constexpr std::size_t W = kr::lanes<TypeParam>;
    const auto values = random_floats(W * W, 7);
    kr::floats<TypeParam> rows[W];
    for (std::size_t k = 0; k < W; ++k) rows[k] = kr::floats<TypeParam>::load_unaligned(values.data() + k * W);
    alignas(64) float sums[W];
    kr::sum_each<TypeParam>(rows).store_aligned(sums);
    for (std::size_t k = 0; k < W; ++k) {
        float expected = 0.0f;
        for (std::size_t j = 0; j < W; ++j) expected += values[k * W + j];
        EXPECT_NEAR(sums[k], expected, 1e-5f) << "row " << k;
    }
}

template <class Arch, class Act>
void check_activation_kernels() {
    // 37 rows of 1, 2, 4 or 8 units make a flat run of whole vectors and a tail (a convolution's few filters).
    for (std::size_t rows : {1, 3, 37})
        for (std::size_t n : awkward_sizes) {
            const auto bias = random_floats(n, 8);
            auto y = random_floats(rows * n, 9, -6.0f, 6.0f), expected = y;
            kr::add_bias_activate<Arch, Act>(y.data(), bias.data(), rows, n);
            kr::reference::add_bias_activate<Act>(expected.data(), bias.data(), rows, n);
            expect_close(y, expected, 1e-6f, std::string(Act::name) + " forward");

            const auto dy = random_floats(rows * n, 10);
            std::vector<float> dx(rows * n), dx_expected(rows * n);
            kr::activation_backward<Arch, Act>(dy.data(), y.data(), dx.data(), rows * n);
            kr::reference::activation_backward<Act>(dy.data(), y.data(), dx_expected.data(), rows * n);
            expect_close(dx, dx_expected, 1e-6f, std::string(Act::name) + " backward");
            auto in_place = dy;
            kr::activation_backward<Arch, Act>(in_place.data(), y.data(), in_place.data(), rows * n);
            expect_close(in_place, dx, 0.0f, std::string(Act::name) + " backward in place");

            const auto x = random_floats(rows * n, 11, -6.0f, 6.0f);
            std::vector<float> activated(rows * n), activated_expected(rows * n);
            kr::activate<Arch, Act>(x.data(), activated.data(), rows * n);
            kr::reference::activate<Act>(x.data(), activated_expected.data(), rows * n);
            expect_close(activated, activated_expected, 1e-6f, std::string(Act::name) + " without a bias");
        }
}

TYPED_TEST(Kernels, ActivationsMatchReference) {
    check_activation_kernels<TypeParam, tn::Linear>();
    check_activation_kernels<TypeParam, tn::ReLU>();
    check_activation_kernels<TypeParam, tn::Sigmoid>();
    check_activation_kernels<TypeParam, tn::Tanh>();
    check_activation_kernels<TypeParam, tn::LeakyReLU<>>();
    check_activation_kernels<TypeParam, tn::LeakyReLU<"0.01">>();
    check_activation_kernels<TypeParam, tn::ELU<>>();
    check_activation_kernels<TypeParam, tn::ELU<"0.5">>();
}

// The settings are in the names, always, so that two slopes never share a model file.
TEST(Activations, NamesCarryTheirSettings) {
    EXPECT_EQ(tn::LeakyReLU<>::name, "leaky_relu(0.3)");
    EXPECT_EQ(tn::LeakyReLU<"0.010">::name, "leaky_relu(0.01)");
    EXPECT_EQ(tn::ELU<>::name, "elu(1)");
    EXPECT_EQ(tn::ELU<"2.5">::name, "elu(2.5)");
    EXPECT_EQ(tn::LeakyReLU<"0.2">::slope, 0.2f);
}

// Keras's values: LeakyReLU(alpha=0.3)(-2) = -0.6; ELU(alpha=1)(-1) = e^-1 - 1;
// ELU keeps its digits near 0, where e^x - 1 would cancel them.
TEST(Activations, LeakyReLUAndELUAsKerasComputesThem) {
    EXPECT_FLOAT_EQ(tn::LeakyReLU<>::reference_apply(-2.0f), -0.6f);
    EXPECT_FLOAT_EQ(tn::LeakyReLU<>::reference_apply(2.0f), 2.0f);
    EXPECT_FLOAT_EQ(tn::ELU<>::reference_apply(-1.0f), std::exp(-1.0f) - 1.0f);
    EXPECT_FLOAT_EQ(tn::ELU<"2">::reference_apply(-1e-6f), -2e-6f);
    EXPECT_FLOAT_EQ(tn::ELU<"2">::reference_apply(-50.0f), -2.0f);
    EXPECT_FLOAT_EQ(tn::ELU<"2">::reference_derivative(tn::ELU<"2">::reference_apply(-1.0f)),
                    2.0f * std::exp(-1.0f));
}

TYPED_TEST(Kernels, SigmoidSaturatesWithoutNaN) {
    std::vector<float> y{-1000.0f, -100.0f, -88.0f, 0.0f, 88.0f, 100.0f, 1000.0f, 0.5f,
                         -1000.0f, -100.0f, -88.0f, 0.0f, 88.0f, 100.0f, 1000.0f, 0.5f};
    const std::vector<float> zero_bias(y.size(), 0.0f);
    kr::add_bias_activate<TypeParam, tn::Sigmoid>(y.data(), zero_bias.data(), 1, y.size());
    for (float v : y) {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
    }
    EXPECT_EQ(y[0], 0.0f);
    EXPECT_EQ(y[6], 1.0f);
}

// Near underflow the vector sigmoid gives 0 where the plain formula gives a
// subnormal, for x in (-88.723, -88.376) (see Sigmoid::apply): within the
// smallest normal float of it everywhere on [-104, -87], never negative or
// NaN, and to float rounding where the result is normal (from x = -87.33).
TYPED_TEST(Kernels, SigmoidNearUnderflowMatchesReferenceWithinTheSmallestNormal) {
    std::vector<float> x;
    for (float value = -104.0f; value <= -87.0f; value += 1.0f / 128.0f) x.push_back(value);
    auto y = x;
    const std::vector<float> zero_bias(x.size(), 0.0f);
    kr::add_bias_activate<TypeParam, tn::Sigmoid>(y.data(), zero_bias.data(), 1, x.size());
    constexpr float smallest_normal = std::numeric_limits<float>::min();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float expected = tn::Sigmoid::reference_apply(x[i]);
        ASSERT_GE(y[i], 0.0f) << x[i];
        ASSERT_LE(std::abs(y[i] - expected), smallest_normal) << x[i];
        if (expected >= smallest_normal) {
            ASSERT_NEAR(y[i], expected, 1e-6f * expected) << x[i];
        }
        if (x[i] > -88.37f || x[i] < -88.73f) {
            ASSERT_EQ(y[i] == 0.0f, expected == 0.0f) << x[i];
        }
    }
}

TYPED_TEST(Kernels, ColumnSumsMatchReference) {
    for (std::size_t rows : {1, 2, 7, 32})
        for (std::size_t n : {1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 33, 63, 65, 100}) {
            const auto x = random_floats(rows * n, 11);
            std::vector<float> sums(n), expected(n);
            kr::column_sums<TypeParam>(x.data(), rows, n, sums.data());
            kr::reference::column_sums(x.data(), rows, n, expected.data());
            expect_close(sums, expected, 1e-5f, "column sums");
        }
}

TYPED_TEST(Kernels, LossesMatchReference) {
    for (std::size_t n : awkward_sizes) {
        const auto y = random_floats(n, 12), t = random_floats(n, 13);
        std::vector<float> g(n), g_expected(n);
        const float scale = 1.0f / static_cast<float>(n);
        EXPECT_NEAR(kr::squared_error<TypeParam>(y.data(), t.data(), n, scale, g.data()),
                    kr::reference::squared_error(y.data(), t.data(), n, scale, g_expected.data()), 1e-5);
        expect_close(g, g_expected, 1e-6f, "squared error gradient");
        EXPECT_NEAR(kr::absolute_error<TypeParam>(y.data(), t.data(), n, scale, g.data()),
                    kr::reference::absolute_error(y.data(), t.data(), n, scale, g_expected.data()), 1e-5);
        expect_close(g, g_expected, 1e-6f, "absolute error gradient");
    }
}

template <class Arch, std::size_t N, std::size_t K>
void check_add_combination() {
    const auto coefficients = random_floats(K, 19), rows = random_floats(K * (N + 3), 20);
    auto dst = random_floats(N, 21), expected = dst;
    tn::kernels::add_combination<Arch, N, K>(dst.data(), coefficients.data(), rows.data(), N + 3);
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t k = 0; k < K; ++k) expected[i] += coefficients[k] * rows[k * (N + 3) + i];
    expect_close(dst, expected, 1e-5f, fmt::format("add_combination N={} K={}", N, K));
}

TYPED_TEST(Kernels, CombinationsMatchReference) {
    check_add_combination<TypeParam, 1, 1>();
    check_add_combination<TypeParam, 7, 3>();
    check_add_combination<TypeParam, 8, 16>();
    check_add_combination<TypeParam, 16, 1>();
    check_add_combination<TypeParam, 29, 8>();
    check_add_combination<TypeParam, 33, 5>();
}

// The update also returns the largest magnitude of the state it wrote (Adam's
// m, SGD's velocity), which bounds the next step's update.
TYPED_TEST(Kernels, OptimizerUpdatesMatchReference) {
    for (std::size_t n : awkward_sizes) {
        const auto g = random_floats(n, 14);
        auto w = random_floats(n, 15), m = random_floats(n, 16), v = random_floats(n, 17, 0.0f, 1.0f);
        auto w_expected = w, m_expected = m, v_expected = v;
        const float largest_m =
            kr::adam_update<TypeParam>(w.data(), g.data(), m.data(), v.data(), n, 0.01f, 0.9f, 0.999f, 1e-7f);
        kr::reference::adam_update(w_expected.data(), g.data(), m_expected.data(), v_expected.data(), n, 0.01f, 0.9f,
                                   0.999f, 1e-7f);
        expect_close(w, w_expected, 1e-6f, "adam weights");
        expect_close(m, m_expected, 1e-6f, "adam m");
        expect_close(v, v_expected, 1e-6f, "adam v");
        EXPECT_EQ(largest_m, largest_magnitude(m)) << "n=" << n;

        auto velocity = random_floats(n, 18), velocity_expected = velocity;
        const float largest_velocity =
            kr::sgd_momentum_update<TypeParam>(w.data(), g.data(), velocity.data(), n, 0.1f, 0.9f);
        kr::reference::sgd_momentum_update(w_expected.data(), g.data(), velocity_expected.data(), n, 0.1f, 0.9f);
        expect_close(w, w_expected, 1e-6f, "sgd weights");
        expect_close(velocity, velocity_expected, 1e-6f, "sgd velocity");
        EXPECT_EQ(largest_velocity, largest_magnitude(velocity)) << "n=" << n;
    }
}

// A probe runs the update's own arithmetic and writes nothing: it counts the
// new values that would not be finite, as the update then writes them. Every
// third gradient is 1e20 (its square overflows, and 1e20 times a learning rate
// of 1e19 too), so some land in the vectors and some in the tails.
TYPED_TEST(Kernels, OptimizerProbesCountWhatTheUpdateWouldMakeNonFinite) {
    for (std::size_t n : awkward_sizes) {
        auto g = random_floats(n, 22);
        for (std::size_t i = 0; i < n; i += 3) g[i] = 1e20f;
        const auto w = random_floats(n, 23), m = random_floats(n, 24), v = random_floats(n, 25, 0.0f, 1.0f),
                   velocity = random_floats(n, 26);
        const std::string where = fmt::format("n={}", n);

        const kr::NonFinite adam =
            kr::adam_update<TypeParam, kr::Pass::probe>(w.data(), g.data(), m.data(), v.data(), n, 0.01f, 0.9f, 0.999f,
                                                        1e-7f);
        auto w_written = w, m_written = m, v_written = v;
        kr::adam_update<TypeParam>(w_written.data(), g.data(), m_written.data(), v_written.data(), n, 0.01f, 0.9f,
                                   0.999f, 1e-7f);
        EXPECT_EQ(adam.weights, non_finite_count(w_written)) << where;
        EXPECT_EQ(adam.state, non_finite_count(m_written) + non_finite_count(v_written)) << where;
        EXPECT_EQ(adam.state, (n + 2) / 3) << where;  // each huge gradient's v

        const kr::NonFinite sgd =
            kr::sgd_momentum_update<TypeParam, kr::Pass::probe>(w.data(), g.data(), velocity.data(), n, 1e19f, 0.9f);
        auto sgd_w_written = w, velocity_written = velocity;
        kr::sgd_momentum_update<TypeParam>(sgd_w_written.data(), g.data(), velocity_written.data(), n, 1e19f, 0.9f);
        EXPECT_EQ(sgd.weights, non_finite_count(sgd_w_written)) << where;
        EXPECT_EQ(sgd.state, non_finite_count(velocity_written)) << where;
        EXPECT_EQ(sgd.state, (n + 2) / 3) << where;
    }
}

// The gradients' check: how many are NaN or infinite, and the largest |x|,
// at sizes that leave every kind of tail after the four chains of vectors.
TYPED_TEST(Kernels, MagnitudesMatchReference) {
    constexpr float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (std::size_t n : {1, 3, 7, 16, 31, 33, 63, 64, 65, 100, 129, 1000}) {
        auto x = random_floats(n, 27, -5.0f, 5.0f);
        x[n / 2] = -7.5f;
        kr::Magnitudes found = kr::magnitudes<TypeParam>(x.data(), n);
        EXPECT_EQ(found.non_finite, 0u) << n;
        EXPECT_EQ(found.largest, largest_magnitude(x)) << n;
        for (const std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
            auto bad = x;
            bad[at] = at % 2 == 0 ? nan : -inf;
            if (n > 2) bad[(at + 1) % n] = inf;
            found = kr::magnitudes<TypeParam>(bad.data(), n);
            EXPECT_EQ(found.non_finite, non_finite_count(bad)) << "n=" << n << " at=" << at;
        }
    }
}

// A training step's slice of the shares' gradients: the sums, in share order,
// and their Magnitudes, from one pass; a sum that overflows counts as infinite.
TYPED_TEST(Kernels, SumInOrderMeasuredMatchesSumThenMagnitudes) {
    constexpr float nan = std::numeric_limits<float>::quiet_NaN(), big = 3e38f;
    for (std::size_t sources_count : {1, 2, 3})
        for (std::size_t n : {1, 7, 16, 63, 64, 65, 129, 1000}) {
            std::vector<std::vector<float>> sources;
            for (std::size_t s = 0; s < sources_count; ++s) sources.push_back(random_floats(n, 70 + s, -5.0f, 5.0f));
            for (int bad = 0; bad < 3; ++bad) {
                auto shares = sources;
                if (bad == 1) shares.back()[n / 2] = nan;
                if (bad == 2) shares[0][n - 1] = shares.back()[n - 1] = big;  // finite shares, infinite sum
                std::vector<const float*> pointers;
                for (const auto& share : shares) pointers.push_back(share.data());
                std::vector<float> expected(n), sums(n);
                kr::sum_in_order<TypeParam>(expected.data(), pointers.data(), sources_count, n);
                const kr::Magnitudes found =
                    kr::sum_in_order_measured<TypeParam>(sums.data(), pointers.data(), sources_count, n);
                const std::string what = fmt::format("sources={} n={} bad={}", sources_count, n, bad);
                for (std::size_t i = 0; i < n; ++i)
                    ASSERT_EQ(std::bit_cast<std::uint32_t>(sums[i]), std::bit_cast<std::uint32_t>(expected[i])) << what;
                EXPECT_EQ(found.non_finite, non_finite_count(expected)) << what;
                if (found.non_finite == 0) {
                    EXPECT_EQ(found.largest, largest_magnitude(expected)) << what;
                }
            }
        }
}
