// MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D
// and UpSampling2D against Keras/TensorFlow: output sizes, where Same padding
// goes and that padded cells neither win a max nor count in an average
// (values worked out by hand), ties sent to the first maximum, the SIMD
// kernels against plain loops over awkward sizes with many ties, and
// test_layer over odd and even sizes and 1, 3, 8 and 16 channels.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "typenet/io/architecture.hpp"
#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;

template <class Layer, class In>
using output_of = typename Layer::template Bound<In>::output_shape;
static_assert(std::is_same_v<output_of<tn::MaxPooling2D<2>, tn::Shape<28, 28, 1>>, tn::Shape<14, 14, 1>>);
static_assert(std::is_same_v<output_of<tn::MaxPooling2D<2, 2, tn::Same>, tn::Shape<7, 7, 8>>, tn::Shape<4, 4, 8>>);
static_assert(std::is_same_v<output_of<tn::MaxPooling2D<2>, tn::Shape<7, 7, 8>>, tn::Shape<3, 3, 8>>);
static_assert(std::is_same_v<output_of<tn::AveragePooling2D<3, 2>, tn::Shape<7, 8, 3>>, tn::Shape<3, 3, 3>>);
static_assert(std::is_same_v<output_of<tn::AveragePooling2D<3, 1, tn::Same>, tn::Shape<5, 4, 2>>, tn::Shape<5, 4, 2>>);
static_assert(std::is_same_v<output_of<tn::UpSampling2D<2>, tn::Shape<4, 4, 8>>, tn::Shape<8, 8, 8>>);
static_assert(std::is_same_v<output_of<tn::UpSampling2D<3>, tn::Shape<2, 5, 1>>, tn::Shape<6, 15, 1>>);
static_assert(std::is_same_v<output_of<tn::GlobalMaxPooling2D, tn::Shape<5, 3, 16>>, tn::Shape<16>>);
static_assert(std::is_same_v<output_of<tn::GlobalAveragePooling2D, tn::Shape<4, 4, 3>>, tn::Shape<3>>);

namespace {

template <class Layer, std::size_t... In>
std::vector<float> run(const std::vector<float>& image) {
    using M = tn::Model<tn::Input<In...>, Layer>;
    M model;
    tn::Workspace<M, 1> workspace;
    const auto y = model(workspace, image);
    return {y.begin(), y.end()};
}

// The gradient a one-layer model sends back to its input for dLoss/dy = dy.
template <class Layer, class In, class Arch = tn::kernels::native_arch>
std::vector<float> input_gradient(const std::vector<float>& x, const std::vector<float>& dy) {
    using B = typename Layer::template Bound<In>;
    std::vector<float> y(B::output_shape::size), d_out(dy), dx(In::size);
    B::template forward<Arch>(nullptr, x.data(), y.data(), 1, nullptr);
    B::template backward<Arch>(nullptr, x.data(), y.data(), d_out.data(), dx.data(), nullptr, 1, nullptr);
    return dx;
}

}  // namespace

// 3x3 by 2x2 windows, Same: one padded row and column, after (bottom, right).
//   1 2 3
//   4 5 6      max  5 6     mean  3   4.5
//   7 8 9           8 9           7.5 9
TEST(Pooling, SamePaddingGoesAfterAndIsNeverCounted) {
    const std::vector<float> image{1, 2, 3, 4, 5, 6, 7, 8, 9};
    EXPECT_EQ((run<tn::MaxPooling2D<2, 2, tn::Same>, 3, 3, 1>(image)), (std::vector<float>{5, 6, 8, 9}));
    EXPECT_EQ((run<tn::AveragePooling2D<2, 2, tn::Same>, 3, 3, 1>(image)), (std::vector<float>{3, 4.5f, 7.5f, 9}));
    // Negative everywhere: a padded zero would win the max if it were counted.
    std::vector<float> negative(image.size());
    std::transform(image.begin(), image.end(), negative.begin(), [](float v) { return -v; });
    EXPECT_EQ((run<tn::MaxPooling2D<2, 2, tn::Same>, 3, 3, 1>(negative)), (std::vector<float>{-1, -3, -7, -9}));
}

// 3x3 windows at stride 1 on 4 columns, Same: two padded columns, one before and one after.
TEST(Pooling, SamePaddingSplitsWithTheSmallerHalfBefore) {
    const std::vector<float> row{1, 2, 3, 4};
    EXPECT_EQ((run<tn::AveragePooling2D<3, 1, tn::Same>, 1, 4, 1>(row)), (std::vector<float>{1.5f, 2, 3, 3.5f}));
    EXPECT_EQ((run<tn::MaxPooling2D<3, 1, tn::Same>, 1, 4, 1>(row)), (std::vector<float>{2, 3, 4, 4}));
}

TEST(Pooling, ValidDropsWhatNoWholeWindowCovers) {
    const std::vector<float> image{1, 2, 3, 4, 5, 6, 7, 8, 9};
    EXPECT_EQ((run<tn::MaxPooling2D<2>, 3, 3, 1>(image)), (std::vector<float>{5}));
    EXPECT_EQ((run<tn::AveragePooling2D<2, 1>, 3, 3, 1>(image)), (std::vector<float>{3, 4, 6, 7}));
}

// A window that holds its max twice sends the whole gradient to the first, in
// row-major order, as PyTorch and TensorFlow do: here the all-zero windows a
// ReLU leaves, and two equal maxima in another.
TEST(Pooling, TiesSendTheGradientToTheFirstMaximum) {
    const std::vector<float> image{0, 0, 2, 1,
                                   0, 0, 1, 2};
    const std::vector<float> dy{5, 7};
    EXPECT_EQ((input_gradient<tn::MaxPooling2D<2>, tn::Shape<2, 4, 1>>(image, dy)),
              (std::vector<float>{5, 0, 7, 0, 0, 0, 0, 0}));
    EXPECT_EQ((input_gradient<tn::GlobalMaxPooling2D, tn::Shape<2, 4, 1>>(image, {3})),
              (std::vector<float>{0, 0, 3, 0, 0, 0, 0, 0}));
    // The same rule in the plain reference the SIMD kernels are checked against.
    using B = tn::MaxPooling2D<2>::Bound<tn::Shape<2, 4, 1>>;
    std::vector<float> dx(image.size());
    tn::kernels::reference::max_pool_backward(B::geometry, image.data(), dy.data(), dx.data());
    EXPECT_EQ(dx, (std::vector<float>{5, 0, 7, 0, 0, 0, 0, 0}));
}

TEST(UpSampling2D, RepeatsEveryPixelAndSumsTheGradientsBack) {
    // Two pixels of two channels, each repeated into a 2x2 block.
    const std::vector<float> image{1, 10, 2, 20};
    EXPECT_EQ((run<tn::UpSampling2D<2>, 1, 2, 2>(image)),
              (std::vector<float>{1, 10, 1, 10, 2, 20, 2, 20, 1, 10, 1, 10, 2, 20, 2, 20}));
    std::vector<float> dy(16);
    for (std::size_t i = 0; i < dy.size(); ++i) dy[i] = float(i);
    // Channel 0 of pixel 0 gathers large pixels 0, 1, 4, 5: dy 0 + 2 + 8 + 10.
    EXPECT_EQ((input_gradient<tn::UpSampling2D<2>, tn::Shape<1, 2, 2>>(image, dy)),
              (std::vector<float>{20, 24, 36, 40}));
}

TEST(GlobalPooling, TheMaxAndTheMeanOfEachChannel) {
    const std::vector<float> image{1, -4, 3, -2, 2, -6};  // three pixels of two channels
    EXPECT_EQ((run<tn::GlobalMaxPooling2D, 1, 3, 2>(image)), (std::vector<float>{3, -2}));
    EXPECT_EQ((run<tn::GlobalAveragePooling2D, 1, 3, 2>(image)), (std::vector<float>{2, -4}));
}

TEST(Pooling, ArchitectureWordsSayTheWindow) {
    using M = tn::Model<tn::Input<7, 7, 8>, tn::MaxPooling2D<2, 2, tn::Same>, tn::UpSampling2D<2>,
                        tn::AveragePooling2D<3, 1, tn::Same>, tn::GlobalAveragePooling2D>;
    const std::string text = tn::io::architecture<M>();
    EXPECT_NE(text.find("MaxPooling2D k2 s2 pad(0,0)"), std::string::npos) << text;
    EXPECT_NE(text.find("UpSampling2D nearest x2"), std::string::npos) << text;
    EXPECT_NE(text.find("AveragePooling2D k3 s1 pad(1,1)"), std::string::npos) << text;
    EXPECT_NE(text.find("GlobalAveragePooling2D"), std::string::npos) << text;
}

// The SIMD kernels against plain loops, under every instruction set of this
// build, with inputs of four values only so that most windows hold ties.
template <class Arch>
class PoolingKernels : public ::testing::Test {};
TYPED_TEST_SUITE(PoolingKernels, tn::testing::Archs);

namespace {

std::vector<float> few_values(std::size_t n, std::uint64_t seed) {
    tn::Random random(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float(random.below(4)) - 1.0f;
    return v;
}

template <class Arch, class Layer, class In>
void check_window_pooling() {
    using B = typename Layer::template Bound<In>;
    using Out = typename B::output_shape;
    constexpr bool is_max = B::kind == "MaxPooling2D";
    const std::vector<float> x = few_values(In::size, 5), dy = few_values(Out::size, 6);
    std::vector<float> y(Out::size), expected(Out::size), d_out(dy), dx(In::size), expected_dx(In::size);
    B::template forward<Arch>(nullptr, x.data(), y.data(), 1, nullptr);
    tn::kernels::reference::pool(B::geometry, is_max, x.data(), expected.data());
    for (std::size_t i = 0; i < Out::size; ++i) ASSERT_FLOAT_EQ(y[i], expected[i]) << B::kind << " output " << i;
    B::template backward<Arch>(nullptr, x.data(), y.data(), d_out.data(), dx.data(), nullptr, 1, nullptr);
    if constexpr (is_max) {
        tn::kernels::reference::max_pool_backward(B::geometry, x.data(), dy.data(), expected_dx.data());
    } else {
        // Every window's gradient shared evenly by the cells inside the image: the
        // reference mean of ones counts them.
        const std::vector<float> ones(In::size, 1.0f);
        std::vector<float> share(Out::size);
        tn::kernels::reference::pool(B::geometry, false, ones.data(), share.data());
        const auto& g = B::geometry;
        std::fill(expected_dx.begin(), expected_dx.end(), 0.0f);
        for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
            for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
                const auto w = tn::kernels::window_of<g>(oy, ox);
                for (std::size_t c = 0; c < g.channels; ++c)
                    for (std::size_t iy = w.top; iy < w.bottom; ++iy)
                        for (std::size_t ix = w.left; ix < w.right; ++ix)
                            expected_dx[(iy * g.wide_width + ix) * g.channels + c] +=
                                dy[(oy * g.narrow_width + ox) * g.channels + c] / float(w.cells());
            }
    }
    for (std::size_t i = 0; i < In::size; ++i) ASSERT_NEAR(dx[i], expected_dx[i], 1e-5f) << B::kind << " input " << i;
}

template <class Arch, class In, std::size_t Size>
void check_upsampling() {
    using B = typename tn::UpSampling2D<Size>::template Bound<In>;
    using Out = typename B::output_shape;
    constexpr std::size_t h = In::dims[0], w = In::dims[1], c = In::dims[2];
    const std::vector<float> x = few_values(In::size, 7), dy = few_values(Out::size, 8);
    std::vector<float> y(Out::size), d_out(dy), dx(In::size), expected_dx(In::size, 0.0f);
    B::template forward<Arch>(nullptr, x.data(), y.data(), 1, nullptr);
    for (std::size_t oy = 0; oy < h * Size; ++oy)
        for (std::size_t ox = 0; ox < w * Size; ++ox)
            for (std::size_t k = 0; k < c; ++k) {
                const std::size_t large = (oy * w * Size + ox) * c + k, small = ((oy / Size) * w + ox / Size) * c + k;
                ASSERT_EQ(y[large], x[small]) << "output " << large;
                expected_dx[small] += dy[large];
            }
    B::template backward<Arch>(nullptr, x.data(), y.data(), d_out.data(), dx.data(), nullptr, 1, nullptr);
    for (std::size_t i = 0; i < In::size; ++i) ASSERT_FLOAT_EQ(dx[i], expected_dx[i]) << "input " << i;
}

template <class Arch, class Layer, class In>
void check_global_pooling() {
    using B = typename Layer::template Bound<In>;
    constexpr bool is_max = B::kind == "GlobalMaxPooling2D";
    constexpr std::size_t pixels = In::dims[0] * In::dims[1], c = In::dims[2];
    const std::vector<float> x = few_values(In::size, 9), dy = few_values(c, 10);
    std::vector<float> y(c), d_out(dy), dx(In::size), expected_dx(In::size, 0.0f);
    B::template forward<Arch>(nullptr, x.data(), y.data(), 1, nullptr);
    for (std::size_t k = 0; k < c; ++k) {
        std::size_t first_max = 0;
        double sum = 0.0;
        for (std::size_t p = 0; p < pixels; ++p) {
            sum += x[p * c + k];
            if (x[p * c + k] > x[first_max * c + k]) first_max = p;
        }
        if (is_max) {
            ASSERT_EQ(y[k], x[first_max * c + k]) << "channel " << k;
            expected_dx[first_max * c + k] = dy[k];
        } else {
            ASSERT_NEAR(y[k], sum / pixels, 1e-6) << "channel " << k;
            for (std::size_t p = 0; p < pixels; ++p) expected_dx[p * c + k] = dy[k] / float(pixels);
        }
    }
    B::template backward<Arch>(nullptr, x.data(), y.data(), d_out.data(), dx.data(), nullptr, 1, nullptr);
    for (std::size_t i = 0; i < In::size; ++i) ASSERT_NEAR(dx[i], expected_dx[i], 1e-6f) << B::kind << " input " << i;
}

}  // namespace

TYPED_TEST(PoolingKernels, WindowPoolingMatchesPlainLoops) {
    check_window_pooling<TypeParam, tn::MaxPooling2D<2, 2, tn::Same>, tn::Shape<28, 28, 16>>();
    check_window_pooling<TypeParam, tn::MaxPooling2D<2, 2, tn::Same>, tn::Shape<7, 7, 8>>();
    check_window_pooling<TypeParam, tn::MaxPooling2D<3, 2, tn::Valid>, tn::Shape<9, 8, 3>>();
    check_window_pooling<TypeParam, tn::MaxPooling2D<3, 1, tn::Same>, tn::Shape<5, 6, 17>>();
    check_window_pooling<TypeParam, tn::MaxPooling2D<2, 3, tn::Same>, tn::Shape<8, 7, 1>>();
    check_window_pooling<TypeParam, tn::AveragePooling2D<2, 2, tn::Same>, tn::Shape<7, 7, 8>>();
    check_window_pooling<TypeParam, tn::AveragePooling2D<3, 1, tn::Same>, tn::Shape<6, 5, 16>>();
    check_window_pooling<TypeParam, tn::AveragePooling2D<3, 2, tn::Valid>, tn::Shape<9, 8, 3>>();
    check_window_pooling<TypeParam, tn::AveragePooling2D<2, 2, tn::Valid>, tn::Shape<5, 4, 25>>();
}

TYPED_TEST(PoolingKernels, UpSamplingMatchesPlainLoops) {
    check_upsampling<TypeParam, tn::Shape<4, 4, 8>, 2>();
    check_upsampling<TypeParam, tn::Shape<7, 7, 16>, 2>();
    check_upsampling<TypeParam, tn::Shape<3, 5, 3>, 3>();
    check_upsampling<TypeParam, tn::Shape<2, 3, 17>, 1>();
}

TYPED_TEST(PoolingKernels, GlobalPoolingMatchesPlainLoops) {
    check_global_pooling<TypeParam, tn::GlobalMaxPooling2D, tn::Shape<7, 7, 16>>();
    check_global_pooling<TypeParam, tn::GlobalMaxPooling2D, tn::Shape<3, 5, 3>>();
    check_global_pooling<TypeParam, tn::GlobalMaxPooling2D, tn::Shape<1, 1, 25>>();
    check_global_pooling<TypeParam, tn::GlobalAveragePooling2D, tn::Shape<4, 4, 8>>();
    check_global_pooling<TypeParam, tn::GlobalAveragePooling2D, tn::Shape<5, 3, 17>>();
}

namespace {

template <class Layer, class In>
void expect_passes(tn::testing::LayerTestOptions options = {}) {
    const auto report = tn::testing::test_layer<Layer, In>(options);
    EXPECT_TRUE(report.passed()) << report.summary();
    EXPECT_GT(report.checked, 0u) << report.summary();
}

}  // namespace

TEST(PoolingTestLayer, MaxPooling2D) {
    expect_passes<tn::MaxPooling2D<2, 2, tn::Same>, tn::Shape<7, 7, 1>>();
    expect_passes<tn::MaxPooling2D<2>, tn::Shape<6, 4, 3>>();
    expect_passes<tn::MaxPooling2D<3, 2, tn::Same>, tn::Shape<5, 6, 8>>();
    expect_passes<tn::MaxPooling2D<2, 1, tn::Valid>, tn::Shape<4, 5, 16>>({.seed = 2});
}

// After a ReLU half the inputs are 0 and many windows tie: backward must give
// one side of each such kink, and the kinks must not make the check fail.
TEST(PoolingTestLayer, MaxPoolingOverTies) {
    const auto report = tn::testing::test_layer<tn::MaxPooling2D<2, 2, tn::Same>, tn::Shape<7, 6, 8>>(
        {.seed = 3, .exact_zeros = 0.5});
    EXPECT_TRUE(report.passed()) << report.summary();
    EXPECT_GT(report.kinks, 0u) << "no ties met: " << report.summary();
    EXPECT_EQ(report.kinks_off_both_sides, 0u) << report.summary();
    expect_passes<tn::GlobalMaxPooling2D, tn::Shape<3, 2, 16>>({.exact_zeros = 0.6});
}

TEST(PoolingTestLayer, AveragePooling2D) {
    expect_passes<tn::AveragePooling2D<2, 2, tn::Same>, tn::Shape<7, 7, 1>>();
    expect_passes<tn::AveragePooling2D<2>, tn::Shape<6, 4, 3>>();
    expect_passes<tn::AveragePooling2D<3, 1, tn::Same>, tn::Shape<5, 6, 8>>();
    expect_passes<tn::AveragePooling2D<3, 2, tn::Valid>, tn::Shape<8, 7, 16>>();
}

TEST(PoolingTestLayer, UpSampling2D) {
    expect_passes<tn::UpSampling2D<2>, tn::Shape<3, 3, 1>>();
    expect_passes<tn::UpSampling2D<2>, tn::Shape<4, 2, 3>>();
    expect_passes<tn::UpSampling2D<3>, tn::Shape<3, 2, 8>>();
    expect_passes<tn::UpSampling2D<2>, tn::Shape<4, 4, 16>>();
}

TEST(PoolingTestLayer, GlobalPooling) {
    expect_passes<tn::GlobalMaxPooling2D, tn::Shape<5, 5, 1>>();
    expect_passes<tn::GlobalMaxPooling2D, tn::Shape<4, 3, 8>>();
    expect_passes<tn::GlobalAveragePooling2D, tn::Shape<3, 3, 3>>();
    expect_passes<tn::GlobalAveragePooling2D, tn::Shape<4, 6, 16>>();
}
