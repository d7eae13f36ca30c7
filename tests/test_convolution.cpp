// Conv2D and Conv2DTranspose against Keras/TensorFlow: output sizes, where
// Same padding goes, values worked out by hand from TensorFlow's documented
// rule (out = ceil(in / stride), padding split with the smaller half before),
// and the SIMD layers against a direct convolution over awkward sizes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "support/archs.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;

// Output sizes as Keras computes them.
template <class Layer, class In>
using output_of = typename Layer::template Bound<In>::output_shape;
static_assert(std::is_same_v<output_of<tn::Conv2D<16, 3, 2, tn::Same>, tn::Shape<28, 28, 1>>, tn::Shape<14, 14, 16>>);
static_assert(std::is_same_v<output_of<tn::Conv2D<8, 3, 2, tn::Same>, tn::Shape<7, 7, 3>>, tn::Shape<4, 4, 8>>);
static_assert(std::is_same_v<output_of<tn::Conv2D<8, 3, 2, tn::Valid>, tn::Shape<7, 8, 3>>, tn::Shape<3, 3, 8>>);
static_assert(std::is_same_v<output_of<tn::Conv2D<2, 3, 1, tn::Valid>, tn::Shape<5, 6, 1>>, tn::Shape<3, 4, 2>>);
static_assert(std::is_same_v<output_of<tn::Conv2D<2, 5, 3, tn::Same>, tn::Shape<10, 11, 1>>, tn::Shape<4, 4, 2>>);
static_assert(std::is_same_v<output_of<tn::Conv2DTranspose<8, 3, 2, tn::Same>, tn::Shape<7, 7, 8>>, tn::Shape<14, 14, 8>>);
static_assert(std::is_same_v<output_of<tn::Conv2DTranspose<4, 3, 2, tn::Valid>, tn::Shape<7, 7, 8>>, tn::Shape<15, 15, 4>>);
static_assert(std::is_same_v<output_of<tn::Conv2DTranspose<4, 2, 3, tn::Valid>, tn::Shape<3, 2, 1>>, tn::Shape<9, 6, 4>>);

namespace {

// Runs a one-layer model whose kernel holds 1..9 (ky-major) and bias 0 on one image.
template <class Layer, std::size_t... In>
std::vector<float> run_with_counting_kernel(const std::vector<float>& image) {
    using M = tn::Model<tn::Input<In...>, Layer>;
    M model;
    auto parameters = model.parameters();
    std::fill(parameters.begin(), parameters.end(), 0.0f);
    for (int i = 0; i < 9; ++i) parameters[i] = float(i + 1);
    tn::Workspace<M, 1> workspace;
    const auto y = model(workspace, image);
    return {y.begin(), y.end()};
}

std::vector<float> counting(std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = float(i + 1);
    return v;
}

}  // namespace

// 4x4 at stride 2: one row and column of padding, after (PyTorch's padding=1 would put it before).
TEST(Conv2D, SamePaddingGoesAfterOnEvenSizes) {
    EXPECT_EQ((run_with_counting_kernel<tn::Conv2D<1, 3, 2, tn::Same>, 4, 4, 1>(counting(16))),
              (std::vector<float>{348, 252, 274, 175}));
}

// 5x5 at stride 2: two rows of padding, one before and one after.
TEST(Conv2D, SamePaddingSplitsOnOddSizes) {
    EXPECT_EQ((run_with_counting_kernel<tn::Conv2D<1, 3, 2, tn::Same>, 5, 5, 1>(counting(25))),
              (std::vector<float>{128, 241, 184, 441, 681, 453, 320, 457, 280}));
}

TEST(Conv2D, ValidUsesWholeWindowsOnly) {
    EXPECT_EQ((run_with_counting_kernel<tn::Conv2D<1, 3, 2, tn::Valid>, 5, 5, 1>(counting(25))),
              (std::vector<float>{411, 501, 861, 951}));
}

// The transpose of the 4x4 -> 2x2 Same convolution: nothing is cropped at the top left.
TEST(Conv2DTranspose, SameDoublesTheSize) {
    EXPECT_EQ((run_with_counting_kernel<tn::Conv2DTranspose<1, 3, 2, tn::Same>, 2, 2, 1>({1, 2, 3, 4})),
              (std::vector<float>{1, 2, 5, 4, 4, 5, 14, 10, 10, 14, 36, 24, 12, 15, 34, 20}));
}

TEST(Conv2DTranspose, ValidKeepsTheWholeSpread) {
    EXPECT_EQ((run_with_counting_kernel<tn::Conv2DTranspose<1, 3, 2, tn::Valid>, 2, 2, 1>({1, 2, 3, 4})),
              (std::vector<float>{1,  2,  5,  4,  6,  4,  5,  14, 10, 12, 10, 14, 36,
                                  24, 30, 12, 15, 34, 20, 24, 21, 24, 55, 32, 36}));
}

// The layers (im2col + SIMD products) against a direct convolution, several
// channels, odd sizes; forward in exactly its forward_scratch_floats, as an
// inference workspace gives it (a NaN after them would reach the output if read).
template <class Arch>
class ConvolutionKernels : public ::testing::Test {};
TYPED_TEST_SUITE(ConvolutionKernels, tn::testing::Archs);

template <class Arch, class Layer, class In>
void check_against_direct(std::size_t rows) {
    using B = typename Layer::template Bound<In>;
    using Out = typename B::output_shape;
    tn::Random random(3);
    std::vector<float> params(B::parameter_count), x(rows * In::size), y(rows * Out::size), expected(Out::size);
    std::vector<float> scratch(B::forward_scratch_floats + 64, std::numeric_limits<float>::quiet_NaN());
    for (auto& p : params) p = random.uniform(-1.0f, 1.0f);
    for (auto& v : x) v = random.uniform(-1.0f, 1.0f);
    B::template forward<Arch>(params.data(), x.data(), y.data(), rows, scratch.data());
    constexpr std::size_t filters = Out::dims[2];
    for (std::size_t s = 0; s < rows; ++s) {
        if constexpr (B::kind == "Conv2D") {
            tn::kernels::reference::convolution(B::geometry, x.data() + s * In::size, params.data(), filters,
                                                expected.data());
        } else {
            tn::kernels::reference::transposed_convolution(B::geometry, x.data() + s * In::size, In::dims[2],
                                                           params.data(), expected.data());
        }
        for (std::size_t i = 0; i < Out::size; ++i) expected[i] += params[B::kernel_size + i % filters];
        for (std::size_t i = 0; i < Out::size; ++i)
            ASSERT_NEAR(y[s * Out::size + i], expected[i], 1e-4f) << B::kind << " sample " << s << " at " << i;
    }
    EXPECT_TRUE(std::all_of(scratch.begin() + B::forward_scratch_floats, scratch.end(),
                            [](float v) { return std::isnan(v); }))
        << B::kind << " wrote past its forward scratch";
}

TYPED_TEST(ConvolutionKernels, LayersMatchDirectConvolution) {
    check_against_direct<TypeParam, tn::Conv2D<16, 3, 2, tn::Same>, tn::Shape<28, 28, 1>>(3);
    check_against_direct<TypeParam, tn::Conv2D<8, 3, 2, tn::Same>, tn::Shape<14, 14, 16>>(2);
    check_against_direct<TypeParam, tn::Conv2D<1, 3, 1, tn::Same>, tn::Shape<28, 28, 16>>(2);
    check_against_direct<TypeParam, tn::Conv2D<5, 3, 1, tn::Valid>, tn::Shape<9, 7, 3>>(2);
    check_against_direct<TypeParam, tn::Conv2D<3, 2, 2, tn::Same>, tn::Shape<5, 6, 8>>(1);
    check_against_direct<TypeParam, tn::Conv2DTranspose<8, 3, 2, tn::Same>, tn::Shape<7, 7, 8>>(2);
    check_against_direct<TypeParam, tn::Conv2DTranspose<16, 3, 2, tn::Same>, tn::Shape<14, 14, 8>>(2);
    check_against_direct<TypeParam, tn::Conv2DTranspose<3, 3, 2, tn::Valid>, tn::Shape<5, 4, 3>>(2);
    check_against_direct<TypeParam, tn::Conv2DTranspose<17, 3, 1, tn::Same>, tn::Shape<5, 5, 1>>(1);
}

// Forward's blocks of pixels: a last block that overlaps the one before it,
// half a vector of filters, one filter (the kernel as it is), three (the
// kernel transposed), many filters (AVX-512's six-row tiles; blocks of as many
// pixels as filters), strides, and images smaller than a block.
TYPED_TEST(ConvolutionKernels, BlocksOfPixelsCoverEveryImage) {
    using OverlappingHalf = tn::Conv2D<8, 3, 1, tn::Same>::Bound<tn::Shape<7, 9, 16>>;
    static_assert(OverlappingHalf::block_pixels < 63 && 63 % OverlappingHalf::block_pixels != 0);
    check_against_direct<TypeParam, tn::Conv2D<8, 3, 1, tn::Same>, tn::Shape<7, 9, 16>>(3);
    using OverlappingThree = tn::Conv2D<3, 3, 1, tn::Same>::Bound<tn::Shape<9, 7, 16>>;
    static_assert(OverlappingThree::kernel_copy > 0 && 63 % OverlappingThree::block_pixels != 0);
    check_against_direct<TypeParam, tn::Conv2D<3, 3, 1, tn::Same>, tn::Shape<9, 7, 16>>(2);
    using ManyFilters = tn::Conv2D<40, 3, 2, tn::Same>::Bound<tn::Shape<17, 19, 32>>;
    static_assert(ManyFilters::forward_scratch_floats > 2048 && ManyFilters::block_pixels < ManyFilters::pixels);
    check_against_direct<TypeParam, tn::Conv2D<40, 3, 2, tn::Same>, tn::Shape<17, 19, 32>>(2);
    using OverlappingOne = tn::Conv2D<1, 3, 1, tn::Same>::Bound<tn::Shape<13, 11, 16>>;
    static_assert(OverlappingOne::block_pixels == 12 && 143 % OverlappingOne::block_pixels != 0);
    check_against_direct<TypeParam, tn::Conv2D<1, 3, 1, tn::Same>, tn::Shape<13, 11, 16>>(2);
    using OverlappingMany = tn::Conv2D<32, 3, 1, tn::Same>::Bound<tn::Shape<9, 9, 3>>;
    static_assert(OverlappingMany::block_pixels < 81 && 81 % OverlappingMany::block_pixels != 0);
    check_against_direct<TypeParam, tn::Conv2D<32, 3, 1, tn::Same>, tn::Shape<9, 9, 3>>(2);
    check_against_direct<TypeParam, tn::Conv2D<5, 3, 2, tn::Valid>, tn::Shape<17, 15, 16>>(2);
    check_against_direct<TypeParam, tn::Conv2D<2, 5, 3, tn::Same>, tn::Shape<20, 19, 8>>(2);
    check_against_direct<TypeParam, tn::Conv2D<3, 3, 1, tn::Valid>, tn::Shape<3, 5, 1>>(2);
    check_against_direct<TypeParam, tn::Conv2D<16, 1, 1, tn::Valid>, tn::Shape<2, 1, 4>>(3);
}

// The same image gives the same output, bit for bit, whatever the batch it comes in.
TYPED_TEST(ConvolutionKernels, ForwardDoesNotDependOnTheBatch) {
    const auto check = []<class Layer, class In>(std::type_identity<Layer>, std::type_identity<In>) {
        using B = typename Layer::template Bound<In>;
        using Out = typename B::output_shape;
        constexpr std::size_t rows = 5;
        tn::Random random(4);
        std::vector<float> params(B::parameter_count), x(rows * In::size), batch(rows * Out::size), single(Out::size),
            scratch(B::forward_scratch_floats);
        for (auto& p : params) p = random.uniform(-1.0f, 1.0f);
        for (auto& v : x) v = random.uniform(-1.0f, 1.0f);
        B::template forward<TypeParam>(params.data(), x.data(), batch.data(), rows, scratch.data());
        for (std::size_t s = 0; s < rows; ++s) {
            B::template forward<TypeParam>(params.data(), x.data() + s * In::size, single.data(), 1, scratch.data());
            EXPECT_TRUE(std::equal(single.begin(), single.end(), batch.begin() + s * Out::size)) << "sample " << s;
        }
    };
    check(std::type_identity<tn::Conv2D<8, 3, 1, tn::Same>>{}, std::type_identity<tn::Shape<7, 9, 16>>{});
    check(std::type_identity<tn::Conv2D<32, 3, 1, tn::Same>>{}, std::type_identity<tn::Shape<9, 9, 3>>{});
    check(std::type_identity<tn::Conv2D<1, 3, 1, tn::Same>>{}, std::type_identity<tn::Shape<13, 11, 16>>{});
}
