// The Softmax layer: its kernels against their plain references under every
// instruction set this build runs, over vector lengths that leave tails, its
// outputs at logits of +-1e4, and its axis. (test_layer checks it in test_layer.cpp.)
#include <algorithm>
#include <type_traits>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "support/float_checks.hpp"
#include "typenet/kernels/softmax.hpp"
#include "typenet/layers/softmax.hpp"
#include "typenet/random.hpp"

namespace tn = typenet;
namespace kr = typenet::kernels;
using typenet::testing::expect_close;
using typenet::testing::random_floats;

namespace {

constexpr std::size_t awkward_sizes[] = {1, 3, 4, 7, 10, 16, 17, 33, 65};

}  // namespace

template <class Arch>
class SoftmaxKernels : public ::testing::Test {};
TYPED_TEST_SUITE(SoftmaxKernels, tn::testing::Archs);

TYPED_TEST(SoftmaxKernels, ForwardAndBackwardMatchReference) {
    for (const std::size_t vectors : {1, 3})
        for (const std::size_t n : awkward_sizes) {
            const std::string what = fmt::format("{} vectors of {}", vectors, n);
            const auto z = random_floats(vectors * n, 1 + n, -3.0f, 3.0f), dy = random_floats(vectors * n, 100 + n, -1.0f, 1.0f);
            std::vector<float> y(z.size()), expected(z.size()), dx(z.size()), dx_expected(z.size());
            kr::softmax<TypeParam>(z.data(), y.data(), vectors, n);
            kr::reference::softmax(z.data(), expected.data(), vectors, n);
            expect_close(y, expected, 1e-6f, "softmax of " + what);
            kr::softmax_backward<TypeParam>(y.data(), dy.data(), dx.data(), vectors, n);
            kr::reference::softmax_backward(y.data(), dy.data(), dx_expected.data(), vectors, n);
            expect_close(dx, dx_expected, 1e-6f, "softmax backward of " + what);
        }
}

TYPED_TEST(SoftmaxKernels, LargestOfMatchesReference) {
    for (const std::size_t n : awkward_sizes) {
        const auto x = random_floats(n, 7 + n, -3.0f, 3.0f);
        EXPECT_EQ(kr::largest_of<TypeParam>(x.data(), n), *std::max_element(x.begin(), x.end())) << n;
    }
}

// e^(z - max) never overflows: one logit of 1e4 among -1e4 gives a one-hot
// vector, and the backward through it is finite.
TYPED_TEST(SoftmaxKernels, FiniteAtExtremeLogits) {
    for (const std::size_t n : {2, 10, 17}) {
        std::vector<float> z(n, -1e4f), y(n), dy(n, 1.0f), dx(n);
        z[n / 2] = 1e4f;
        kr::softmax<TypeParam>(z.data(), y.data(), 1, n);
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(y[i], i == n / 2 ? 1.0f : 0.0f) << i;
        dy[0] = -1e4f;
        kr::softmax_backward<TypeParam>(y.data(), dy.data(), dx.data(), 1, n);
        for (const float d : dx) EXPECT_TRUE(std::isfinite(d));
        std::fill(z.begin(), z.end(), 1e4f);
        kr::softmax<TypeParam>(z.data(), y.data(), 1, n);
        for (const float p : y) EXPECT_FLOAT_EQ(p, 1.0f / static_cast<float>(n));
    }
}

// Over the last axis only: each vector of a (4, 7) row sums to 1 on its own.
TEST(Softmax, NormalizesEachVectorOfTheLastAxis) {
    using B = tn::Softmax::Bound<tn::Shape<4, 7>>;
    static_assert(std::is_same_v<B::output_shape, tn::Shape<4, 7>> && B::parameter_count == 0);
    const auto x = random_floats(2 * 28, 5, -3.0f, 3.0f);
    std::vector<float> y(x.size());
    B::forward<tn::kernels::native_arch>(nullptr, x.data(), y.data(), 2, nullptr);
    for (std::size_t v = 0; v < 8; ++v) {
        double sum = 0.0;
        for (std::size_t k = 0; k < 7; ++k) sum += y[v * 7 + k];
        EXPECT_NEAR(sum, 1.0, 1e-6) << v;
    }
}
