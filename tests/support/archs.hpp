#pragma once
// The instruction sets this test build can run: the kernels are checked under each.
#include <gtest/gtest.h>
#include "typenet/kernels/simd.hpp"

// In the namespace of test_layer.hpp's typenet::testing, so that a test may use both.
namespace typenet::inline TYPENET_ISA_NAMESPACE::testing {

#if defined(TYPENET_NO_SIMD)
using Archs = ::testing::Types<simd::scalar>;
#elif defined(__aarch64__)
using Archs = ::testing::Types<xsimd::neon64>;
#else
using Archs = ::testing::Types<xsimd::sse2
#if defined(__AVX2__) && defined(__FMA__)
                               , xsimd::fma3<xsimd::avx2>
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512CD__)
                               , xsimd::avx512bw
#endif
                               >;
#endif

}  // namespace typenet::testing
