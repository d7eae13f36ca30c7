#pragma once
// Every kernel is a template on the instruction set (an xsimd architecture,
// or simd::scalar in a build without SIMD), so one build can run and test
// each set it supports. Callers that do not say otherwise get the best set
// their own compiler flags allow. (What keeps units built with different
// -march flags apart is the namespace of instruction_set.hpp, not this
// parameter: see there.)
#include <cstddef>
#include <type_traits>

#include "typenet/instruction_set.hpp"

#if defined(TYPENET_NO_SIMD)
#include "typenet/kernels/scalar_simd.hpp"
#else
#include <xsimd/xsimd.hpp>
namespace typenet::inline TYPENET_ISA_NAMESPACE {
// The kernels name their vector operations simd::fma, simd::exp, ...: xsimd's,
// or in a build without SIMD (TYPENET_NO_SIMD) scalar_simd.hpp's.
namespace simd = ::xsimd;
}  // namespace typenet
#endif

// Loops over a tile of registers must be unrolled for the tile to stay in
// registers. GCC unrolls them at -O3 but not at -O2, where a product kernel
// then runs at half speed; this asks for it at any level.
#if defined(__clang__)
#define TYPENET_UNROLL _Pragma("unroll")
#else
#define TYPENET_UNROLL _Pragma("GCC unroll 16")
#endif

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

using native_arch = simd::default_arch;

template <class Arch>
using floats = simd::batch<float, Arch>;

// Whether Arch is AVX-512 (a kernel's tiles, and xsimd 8.1's gaps there).
template <class Arch>
#if defined(TYPENET_NO_SIMD)
inline constexpr bool is_avx512 = false;
#else
inline constexpr bool is_avx512 = std::is_base_of_v<xsimd::avx512f, Arch>;
#endif

template <class Arch>
inline constexpr std::size_t lanes = floats<Arch>::size;

// Whole vectors in n floats; the rest (n % lanes) is the tail.
template <class Arch>
constexpr std::size_t vector_part(std::size_t n) {
    return n / lanes<Arch> * lanes<Arch>;
}

// The next narrower instruction set, for the columns that a full vector does
// not cover (8 filters under AVX-512): void when only scalar code is left.
template <class Arch>
struct narrower {
    using type = void;
};
#if defined(__AVX2__) && defined(__FMA__) && !defined(TYPENET_NO_SIMD)
template <class Arch>
    requires is_avx512<Arch>
struct narrower<Arch> {
    using type = xsimd::fma3<xsimd::avx2>;
};
template <>
struct narrower<xsimd::fma3<xsimd::avx2>> {
    using type = xsimd::sse4_2;
};
#endif
template <class Arch>
using narrower_t = typename narrower<Arch>::type;

// Lane k of the result is the sum of the lanes of rows[k], for lanes<Arch> rows.
// xsimd 8.1's AVX-512 haddp returns its sums in a shuffled order, so on
// AVX-512 each row is folded to 256 bits first and reduced with the AVX one,
// whose order is right (the kernel tests check both against plain sums).
template <class Arch>
floats<Arch> sum_each(const floats<Arch>* rows) {
#if defined(__AVX512F__) && !defined(TYPENET_NO_SIMD)
    if constexpr (is_avx512<Arch>) {
        using Half = xsimd::batch<float, xsimd::avx2>;
        auto fold = [](__m512 x) {
            const __m256 low = _mm512_castps512_ps256(x);
            const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1));
            return Half(_mm256_add_ps(low, high));
        };
        Half first[8], second[8];
        TYPENET_UNROLL
        for (std::size_t k = 0; k < 8; ++k) {
            first[k] = fold(rows[k]);
            second[k] = fold(rows[k + 8]);
        }
        const __m256 low = simd::haddp(first), high = simd::haddp(second);
        return _mm512_castpd_ps(
            _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(low)), _mm256_castps_pd(high), 1));
    } else
#endif
    {
        return simd::haddp(rows);
    }
}

}  // namespace typenet::kernels
