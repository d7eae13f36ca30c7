#pragma once
// Everything typenet defines lives in an inline namespace named after the
// instructions the including unit is compiled for: typenet::avx2::Dense in a
// unit built with -march=x86-64-v3, typenet::avx512::Dense in one built with
// -march=x86-64-v4. Users write typenet::Dense either way.
//
// Why: the library is headers, so each unit compiles its functions with its
// own flags, and an AVX-512 unit's copy of any of them (a kernel, or a
// constructor the compiler vectorized) would otherwise share its mangled name
// with an AVX2 unit's copy. The linker keeps one, so the AVX2 path of an app
// that ships both could run AVX-512 instructions and trap. With the namespace
// the names differ and each unit runs what it was built with. The price:
// typenet's types differ between units built for different instructions, so
// such units exchange plain data (floats, bytes, files), never a typenet
// object; a program that tries gets a link error, not a crash. Only the error
// types (error.hpp) stay outside, so that any unit can catch them.
// What the namespace cannot rename are the standard library's templates
// instantiated on standard types alone (std::sort of floats, std::mt19937_64):
// they are shared by name as in any C++ program, so typenet keeps its
// vectorizable work out of them (tests/mixed_isa found std::mt19937_64).
//
// The name must differ whenever the enabled instructions differ in anything
// a compiler may emit by itself (vector widths, FMA, bit manipulation, byte
// moves, atomics): it is the level (an x86-64 microarchitecture level, NEON
// on ARM) plus, after "_plus_", one letter for each such extension enabled
// beyond it, e.g. avx512_plus_bcghinpG for -march=native on a Zen 4. What only
// intrinsics reach (AES, SHA, carry-less products, random numbers, AMX tiles)
// is left out: typenet never calls those.
// The letters are those of the lines below, in their order.
// Other processors get "portable", with no letters: their extensions are not
// told apart, so on them units must share one -march (and xsimd has no
// vectors for them: they build with TYPENET_NO_SIMD).

#if defined(__x86_64__) || defined(_M_X64)
#if defined(__AVX512F__) && defined(__AVX512CD__) && defined(__AVX512VL__) && defined(__AVX512BW__) && \
    defined(__AVX512DQ__) && defined(__AVX2__) && defined(__FMA__) && defined(__BMI__) && defined(__BMI2__) && \
    defined(__F16C__) && defined(__LZCNT__) && defined(__MOVBE__) && defined(__SSE4_2__) && defined(__POPCNT__)
#define TYPENET_ISA_LEVEL 4
#define TYPENET_ISA_LEVEL_NAME avx512
#elif defined(__AVX2__) && defined(__FMA__) && defined(__BMI__) && defined(__BMI2__) && defined(__F16C__) && \
    defined(__LZCNT__) && defined(__MOVBE__) && defined(__SSE3__) && defined(__SSSE3__) && defined(__SSE4_1__) && \
    defined(__SSE4_2__) && defined(__POPCNT__)
#define TYPENET_ISA_LEVEL 3
#define TYPENET_ISA_LEVEL_NAME avx2
#elif defined(__SSE3__) && defined(__SSSE3__) && defined(__SSE4_1__) && defined(__SSE4_2__) && defined(__POPCNT__)
#define TYPENET_ISA_LEVEL 2
#define TYPENET_ISA_LEVEL_NAME sse4
#else
#define TYPENET_ISA_LEVEL 1
#define TYPENET_ISA_LEVEL_NAME sse2
#endif
// Each extension beyond the level: its letter, or nothing.
#if TYPENET_ISA_LEVEL < 2 && defined(__SSE3__)
#define TYPENET_ISA_SSE3 r
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_SSE3
#endif
#if TYPENET_ISA_LEVEL < 2 && defined(__SSSE3__)
#define TYPENET_ISA_SSSE3 s
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_SSSE3
#endif
#if TYPENET_ISA_LEVEL < 2 && defined(__SSE4_1__)
#define TYPENET_ISA_SSE4_1 t
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_SSE4_1
#endif
#if TYPENET_ISA_LEVEL < 2 && defined(__SSE4_2__)
#define TYPENET_ISA_SSE4_2 u
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_SSE4_2
#endif
#if TYPENET_ISA_LEVEL < 2 && defined(__POPCNT__)
#define TYPENET_ISA_POPCNT v
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_POPCNT
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__AVX__)
#define TYPENET_ISA_AVX a
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__AVX2__)
#define TYPENET_ISA_AVX2 A
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX2
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__FMA__)
#define TYPENET_ISA_FMA f
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_FMA
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__F16C__)
#define TYPENET_ISA_F16C j
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_F16C
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__LZCNT__)
#define TYPENET_ISA_LZCNT l
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_LZCNT
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__MOVBE__)
#define TYPENET_ISA_MOVBE m
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_MOVBE
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__BMI__)
#define TYPENET_ISA_BMI y
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_BMI
#endif
#if TYPENET_ISA_LEVEL < 3 && defined(__BMI2__)
#define TYPENET_ISA_BMI2 z
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_BMI2
#endif
#if TYPENET_ISA_LEVEL < 4 && defined(__AVX512F__)
#define TYPENET_ISA_AVX512F x
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512F
#endif
#if TYPENET_ISA_LEVEL < 4 && defined(__AVX512CD__)
#define TYPENET_ISA_AVX512CD e
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512CD
#endif
#if TYPENET_ISA_LEVEL < 4 && defined(__AVX512VL__)
#define TYPENET_ISA_AVX512VL k
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512VL
#endif
#if TYPENET_ISA_LEVEL < 4 && defined(__AVX512BW__)
#define TYPENET_ISA_AVX512BW w
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512BW
#endif
#if TYPENET_ISA_LEVEL < 4 && defined(__AVX512DQ__)
#define TYPENET_ISA_AVX512DQ d
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512DQ
#endif
#if defined(__AVX512VBMI__)
#define TYPENET_ISA_AVX512VBMI b
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512VBMI
#endif
#if defined(__AVX512VBMI2__)
#define TYPENET_ISA_AVX512VBMI2 c
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512VBMI2
#endif
#if defined(__AVX512BITALG__)
#define TYPENET_ISA_AVX512BITALG g
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512BITALG
#endif
#if defined(__AVX512BF16__)
#define TYPENET_ISA_AVX512BF16 h
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512BF16
#endif
#if defined(__AVX512IFMA__)
#define TYPENET_ISA_AVX512IFMA i
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512IFMA
#endif
#if defined(__AVX512VNNI__)
#define TYPENET_ISA_AVX512VNNI n
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512VNNI
#endif
#if defined(__AVXVNNI__)
#define TYPENET_ISA_AVXVNNI o
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVXVNNI
#endif
#if defined(__AVX512VPOPCNTDQ__)
#define TYPENET_ISA_AVX512VPOPCNTDQ p
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512VPOPCNTDQ
#endif
#if defined(__AVX512FP16__)
#define TYPENET_ISA_AVX512FP16 q
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_AVX512FP16
#endif
#if defined(__GFNI__)
#define TYPENET_ISA_GFNI G
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_GFNI
#endif
#define TYPENET_ISA_JOIN_(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15, x16, x17, x18, \
    x19, x20, x21, x22, x23, x24, x25, x26, x27) x0##x1##x2##x3##x4##x5##x6##x7##x8##x9##x10##x11##x12##x13## \
    x14##x15##x16##x17##x18##x19##x20##x21##x22##x23##x24##x25##x26##x27
#define TYPENET_ISA_LETTERS TYPENET_ISA_JOIN(TYPENET_ISA_SSE3, TYPENET_ISA_SSSE3, TYPENET_ISA_SSE4_1, \
    TYPENET_ISA_SSE4_2, TYPENET_ISA_POPCNT, TYPENET_ISA_AVX, TYPENET_ISA_AVX2, TYPENET_ISA_FMA, \
    TYPENET_ISA_F16C, TYPENET_ISA_LZCNT, TYPENET_ISA_MOVBE, TYPENET_ISA_BMI, TYPENET_ISA_BMI2, \
    TYPENET_ISA_AVX512F, TYPENET_ISA_AVX512CD, TYPENET_ISA_AVX512VL, TYPENET_ISA_AVX512BW, \
    TYPENET_ISA_AVX512DQ, TYPENET_ISA_AVX512VBMI, TYPENET_ISA_AVX512VBMI2, TYPENET_ISA_AVX512BITALG, \
    TYPENET_ISA_AVX512BF16, TYPENET_ISA_AVX512IFMA, TYPENET_ISA_AVX512VNNI, TYPENET_ISA_AVXVNNI, \
    TYPENET_ISA_AVX512VPOPCNTDQ, TYPENET_ISA_AVX512FP16, TYPENET_ISA_GFNI)
#elif defined(__aarch64__) || defined(__ARM_NEON)
#if defined(__aarch64__)
#define TYPENET_ISA_LEVEL_NAME neon64
#else
#define TYPENET_ISA_LEVEL_NAME neon
#endif
#if defined(__ARM_FEATURE_ATOMICS)
#define TYPENET_ISA_ATOMICS a
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_ATOMICS
#endif
#if defined(__ARM_FEATURE_DOTPROD)
#define TYPENET_ISA_DOTPROD d
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_DOTPROD
#endif
#if defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
#define TYPENET_ISA_FP16_VECTOR_ARITHMETIC h
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_FP16_VECTOR_ARITHMETIC
#endif
#if defined(__ARM_FEATURE_SVE)
#define TYPENET_ISA_SVE s
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_SVE
#endif
#if defined(__ARM_FEATURE_FMA) && !defined(__aarch64__)  // AArch64 always has it
#define TYPENET_ISA_FMA f
#define TYPENET_ISA_BEYOND_LEVEL
#else
#define TYPENET_ISA_FMA
#endif
#define TYPENET_ISA_JOIN_(x0, x1, x2, x3, x4) x0##x1##x2##x3##x4
#define TYPENET_ISA_LETTERS TYPENET_ISA_JOIN(TYPENET_ISA_ATOMICS, TYPENET_ISA_DOTPROD, \
    TYPENET_ISA_FP16_VECTOR_ARITHMETIC, TYPENET_ISA_SVE, TYPENET_ISA_FMA)
#else
#define TYPENET_ISA_LEVEL_NAME portable
#endif

// The arguments are expanded first, then pasted; an empty one adds nothing.
#define TYPENET_ISA_JOIN(...) TYPENET_ISA_JOIN_(__VA_ARGS__)
#define TYPENET_ISA_PASTE(level, letters) TYPENET_ISA_PASTE_(level, letters)
#define TYPENET_ISA_PASTE_(level, letters) level##_plus_##letters
#if defined(TYPENET_ISA_BEYOND_LEVEL)
#define TYPENET_ISA_PROCESSOR TYPENET_ISA_PASTE(TYPENET_ISA_LEVEL_NAME, TYPENET_ISA_LETTERS)
#else
#define TYPENET_ISA_PROCESSOR TYPENET_ISA_LEVEL_NAME
#endif
// A unit built without SIMD kernels (TYPENET_NO_SIMD, kernels/scalar_simd.hpp)
// runs other code than a vector unit for the same processor: scalar_avx2, say.
#define TYPENET_ISA_SCALAR(processor) TYPENET_ISA_SCALAR_(processor)
#define TYPENET_ISA_SCALAR_(processor) scalar_##processor
#if defined(TYPENET_NO_SIMD)
#define TYPENET_ISA_NAMESPACE TYPENET_ISA_SCALAR(TYPENET_ISA_PROCESSOR)
#else
#define TYPENET_ISA_NAMESPACE TYPENET_ISA_PROCESSOR
#endif

// -ffast-math (and -ffinite-math-only, which it implies) lets the compiler
// assume no NaN or infinity ever occurs, so it deletes the checks that stop
// training at a non-finite loss or gradient and the ones that refuse bad
// files. The library cannot undo a unit's flags, so it refuses them.
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "typenet: -ffast-math and -ffinite-math-only remove the NaN and infinity checks typenet relies on; build the units that include typenet without them (-O3 alone vectorizes typenet's kernels fully)"
#endif
