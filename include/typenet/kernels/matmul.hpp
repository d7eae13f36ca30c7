#pragma once
// Small dense matrix products, all row-major float. Two forms cover every
// product a layer needs:
//   matmul_broadcast: C(i, :) = sum_p a(i, p) * B(p, :)   (vectorized along C's rows)
//   matmul_dot:       C(i, j) = sum_p A(i, p) * B(j, p)   (vectorized along p)
// a(i, p) is read through two strides, so the same kernel also serves the
// transposed product X^T * dY of a weight gradient.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

struct Strided {
    const float* data;
    std::size_t row_stride;  // step between i
    std::size_t col_stride;  // step between p
    float operator()(std::size_t i, std::size_t p) const { return data[i * row_stride + p * col_stride]; }
};

namespace detail {

// The p of a reduction: all of [0, depth), or only those listed (the nonzero
// entries of a single row of a, whose rows of B then need not be read at all).
struct AllSteps {
    std::size_t depth;
    std::size_t count() const { return depth; }
    std::size_t operator[](std::size_t k) const { return k; }
};
struct ListedSteps {
    const std::uint32_t* p;
    std::size_t size;
    std::size_t count() const { return size; }
    std::size_t operator[](std::size_t k) const { return p[k]; }
};

// Rows x Vectors accumulators live in registers for the whole reduction. An
// FMA's result is ready only some cycles later, so a small tile keeps two sets
// of accumulators (alternate steps) to have enough independent chains in flight.
template <class Arch, std::size_t Rows, std::size_t Vectors, class Steps>
inline void broadcast_tile(Steps steps, Strided a, const float* b, std::size_t ldb, float* c, std::size_t ldc,
                           bool accumulate) {
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>;
    constexpr std::size_t sets = Rows * Vectors <= 4 ? 2 : 1;
    V acc[sets][Rows][Vectors];
    TYPENET_UNROLL
    for (std::size_t r = 0; r < Rows; ++r)
        TYPENET_UNROLL
        for (std::size_t v = 0; v < Vectors; ++v) {
            acc[0][r][v] = accumulate ? V::load_unaligned(c + r * ldc + v * W) : V(0.0f);
            if constexpr (sets == 2) acc[1][r][v] = V(0.0f);
        }
    auto step = [&](V(&sum)[Rows][Vectors], std::size_t p) {
        V bv[Vectors];
        TYPENET_UNROLL
        for (std::size_t v = 0; v < Vectors; ++v) bv[v] = V::load_unaligned(b + p * ldb + v * W);
        TYPENET_UNROLL
        for (std::size_t r = 0; r < Rows; ++r) {
            const V ar(a(r, p));
            TYPENET_UNROLL
            for (std::size_t v = 0; v < Vectors; ++v) sum[r][v] = simd::fma(ar, bv[v], sum[r][v]);
        }
    };
    const std::size_t count = steps.count();
    std::size_t k = 0;
    if constexpr (sets == 2)
        for (; k + 1 < count; k += 2) {
            step(acc[0], steps[k]);
            step(acc[1], steps[k + 1]);
        }
    for (; k < count; ++k) step(acc[0], steps[k]);
    TYPENET_UNROLL
    for (std::size_t r = 0; r < Rows; ++r)
        TYPENET_UNROLL
        for (std::size_t v = 0; v < Vectors; ++v) {
            if constexpr (sets == 2) acc[0][r][v] += acc[1][r][v];
            acc[0][r][v].store_unaligned(c + r * ldc + v * W);
        }
}

template <class Arch, std::size_t Rows, class Steps>
inline void broadcast_row_block(std::size_t n, Steps steps, Strided a, const float* b, std::size_t ldb, float* c,
                                std::size_t ldc, bool accumulate) {
    constexpr std::size_t W = lanes<Arch>;
    // Vectors per tile: 4 (16 or 24 accumulators with 4 or 6 rows), 8 chains with one row.
    constexpr std::size_t block = Rows == 1 ? 8 : 4;
    const std::size_t vectors = n / W;
    const std::size_t blocked = vectors / block * block;
    for (std::size_t v = 0; v < blocked; v += block)
        broadcast_tile<Arch, Rows, block>(steps, a, b + v * W, ldb, c + v * W, ldc, accumulate);
    const std::size_t v = blocked;
    [&]<std::size_t... Remaining>(std::index_sequence<Remaining...>) {
        ((vectors - v == Remaining + 1
              ? broadcast_tile<Arch, Rows, Remaining + 1>(steps, a, b + v * W, ldb, c + v * W, ldc, accumulate)
              : void()),
         ...);
    }(std::make_index_sequence<block - 1>{});
    const std::size_t done = vectors * W;
    if (done == n) return;
    if constexpr (!std::is_void_v<narrower_t<Arch>>) {
        broadcast_row_block<narrower_t<Arch>, Rows>(n - done, steps, a, b + done, ldb, c + done, ldc, accumulate);
    } else {
        for (std::size_t j = done; j < n; ++j)
            for (std::size_t r = 0; r < Rows; ++r) {
                float sum = accumulate ? c[r * ldc + j] : 0.0f;
                for (std::size_t k = 0; k < steps.count(); ++k) sum += a(r, steps[k]) * b[steps[k] * ldb + j];
                c[r * ldc + j] = sum;
            }
    }
}

// A row by itself (a single image, or the last rows of a batch) skips its
// zeros, listed once for all its column tiles without a branch per entry.
template <class Arch>
inline void broadcast_single_row(std::size_t n, std::size_t depth, Strided a, const float* b, std::size_t ldb,
                                 float* c, bool accumulate) {
    constexpr std::size_t most = 1024;
    if (depth > most) return broadcast_row_block<Arch, 1>(n, AllSteps{depth}, a, b, ldb, c, 0, accumulate);
    std::uint32_t nonzero[most];
    std::size_t count = 0;
    for (std::size_t p = 0; p < depth; ++p) {
        nonzero[count] = static_cast<std::uint32_t>(p);
        count += a(0, p) != 0.0f;
    }
    broadcast_row_block<Arch, 1>(n, ListedSteps{nonzero, count}, a, b, ldb, c, 0, accumulate);
}

// Blocks of Rows rows; after blocks of six, one of four and one of two take
// what they can; the last rows go one by one.
template <class Arch, std::size_t Rows>
void broadcast_rows(std::size_t m, std::size_t n, std::size_t depth, Strided a, const float* b, std::size_t ldb,
                    float* c, std::size_t ldc, bool accumulate) {
    const std::size_t tiled = m / Rows * Rows;
    for (std::size_t i = 0; i < tiled; i += Rows) {
        const Strided block{a.data + i * a.row_stride, a.row_stride, a.col_stride};
        broadcast_row_block<Arch, Rows>(n, AllSteps{depth}, block, b, ldb, c + i * ldc, ldc, accumulate);
    }
    std::size_t done = tiled;
    if constexpr (Rows > 4) {
        auto tail_block = [&]<std::size_t Tail>(std::integral_constant<std::size_t, Tail>) {
            if (m - done < Tail) return;
            const Strided block{a.data + done * a.row_stride, a.row_stride, a.col_stride};
            broadcast_row_block<Arch, Tail>(n, AllSteps{depth}, block, b, ldb, c + done * ldc, ldc, accumulate);
            done += Tail;
        };
        tail_block(std::integral_constant<std::size_t, 4>{});
        tail_block(std::integral_constant<std::size_t, 2>{});
    }
    for (std::size_t i = done; i < m; ++i) {
        const Strided row{a.data + i * a.row_stride, a.row_stride, a.col_stride};
        broadcast_single_row<Arch>(n, depth, row, b, ldb, c + i * ldc, accumulate);
    }
}

// A dot product from the sum of its whole vectors on: the floats after them, then into C.
inline void finish_dot(float dot, const float* a_row, const float* b_row, std::size_t whole, std::size_t depth,
                       float* c, bool accumulate) {
    for (std::size_t p = whole; p < depth; ++p) dot += a_row[p] * b_row[p];
    *c = accumulate ? *c + dot : dot;
}

// matmul_dot with fewer columns than its tiles hold (a convolution of one to
// three filters, along its windows): lanes<Arch> rows of A against one row of
// B at a time, their sums reduced together, rather than one dot product and
// one reduction at a time (the denoiser's last convolution: 16 of 144-float
// windows each). A last, partial tile repeats its last row, whose sums it drops.
template <class Arch>
void dot_narrow(std::size_t m, std::size_t n, std::size_t depth, const float* a, std::size_t lda, const float* b,
                std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>;
    const std::size_t whole = vector_part<Arch>(depth);
    for (std::size_t j = 0; j < n; ++j) {
        const float* b_row = b + j * ldb;
        for (std::size_t i = 0; i < m; i += W) {
            const std::size_t count = std::min(W, m - i);
            const float* rows[W];
            for (std::size_t r = 0; r < W; ++r) rows[r] = a + (i + std::min(r, count - 1)) * lda;
            V acc[W];
            for (auto& x : acc) x = V(0.0f);
            for (std::size_t p = 0; p < whole; p += W) {
                const V bv = V::load_unaligned(b_row + p);
                TYPENET_UNROLL
                for (std::size_t r = 0; r < W; ++r) acc[r] = simd::fma(V::load_unaligned(rows[r] + p), bv, acc[r]);
            }
            alignas(64) float dots[W];
            sum_each<Arch>(acc).store_aligned(dots);
            for (std::size_t r = 0; r < count; ++r)
                finish_dot(dots[r], rows[r], b_row, whole, depth, c + (i + r) * ldc + j, accumulate);
        }
    }
}

}  // namespace detail

// C[m x n] (+)= a[m x depth] * B[depth x n]; B and C rows are contiguous.
// With AVX-512's 32 registers, rows wide enough for two or more vectors go six
// at a time (24 accumulators, a third fewer passes over B); narrower ones, and
// other instruction sets (16 registers), four at a time.
template <class Arch>
void matmul_broadcast(std::size_t m, std::size_t n, std::size_t depth, Strided a, const float* b,
                      std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    if constexpr (is_avx512<Arch>)
        if (n >= 2 * lanes<Arch>) return detail::broadcast_rows<Arch, 6>(m, n, depth, a, b, ldb, c, ldc, accumulate);
    detail::broadcast_rows<Arch, 4>(m, n, depth, a, b, ldb, c, ldc, accumulate);
}

// C[m x n] (+)= A[m x depth] * B[n x depth]^T: dot products along contiguous rows.
template <class Arch>
void matmul_dot(std::size_t m, std::size_t n, std::size_t depth, const float* a, std::size_t lda,
                const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>;
    const std::size_t whole = vector_part<Arch>(depth);
    // Rows x Cols = W accumulators, reduced together by one haddp.
    constexpr std::size_t Rows = W >= 16 ? 8 : W >= 4 ? 4 : W;
    constexpr std::size_t Cols = W / Rows;
    auto finish = [&](float dot, std::size_t i, std::size_t j) {
        detail::finish_dot(dot, a + i * lda, b + j * ldb, whole, depth, c + i * ldc + j, accumulate);
    };
    if (n < Cols) return detail::dot_narrow<Arch>(m, n, depth, a, lda, b, ldb, c, ldc, accumulate);
    const std::size_t m_tiled = m / Rows * Rows;
    const std::size_t n_tiled = n / Cols * Cols;
    for (std::size_t i = 0; i < m_tiled; i += Rows)
        for (std::size_t j = 0; j < n_tiled; j += Cols) {
            V acc[Rows * Cols];
            for (auto& x : acc) x = V(0.0f);
            for (std::size_t p = 0; p < whole; p += W) {
                V bv[Cols];
                TYPENET_UNROLL
                for (std::size_t cc = 0; cc < Cols; ++cc) bv[cc] = V::load_unaligned(b + (j + cc) * ldb + p);
                TYPENET_UNROLL
                for (std::size_t r = 0; r < Rows; ++r) {
                    const V av = V::load_unaligned(a + (i + r) * lda + p);
                    TYPENET_UNROLL
                    for (std::size_t cc = 0; cc < Cols; ++cc) acc[r * Cols + cc] = simd::fma(av, bv[cc], acc[r * Cols + cc]);
                }
            }
            alignas(64) float dots[W];
            sum_each<Arch>(acc).store_aligned(dots);
            TYPENET_UNROLL
            for (std::size_t r = 0; r < Rows; ++r)
                TYPENET_UNROLL
                for (std::size_t cc = 0; cc < Cols; ++cc) finish(dots[r * Cols + cc], i + r, j + cc);
        }
    // Edges: one dot product at a time.
    auto single = [&](std::size_t i, std::size_t j) {
        V acc(0.0f);
        for (std::size_t p = 0; p < whole; p += W)
            acc = simd::fma(V::load_unaligned(a + i * lda + p), V::load_unaligned(b + j * ldb + p), acc);
        finish(simd::hadd(acc), i, j);
    };
    for (std::size_t i = 0; i < m_tiled; ++i)
        for (std::size_t j = n_tiled; j < n; ++j) single(i, j);
    for (std::size_t i = m_tiled; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) single(i, j);
}

namespace reference {

inline void matmul_broadcast(std::size_t m, std::size_t n, std::size_t depth, Strided a, const float* b,
                             std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double sum = accumulate ? c[i * ldc + j] : 0.0;
            for (std::size_t p = 0; p < depth; ++p) sum += double(a(i, p)) * b[p * ldb + j];
            c[i * ldc + j] = static_cast<float>(sum);
        }
}

inline void matmul_dot(std::size_t m, std::size_t n, std::size_t depth, const float* a, std::size_t lda,
                       const float* b, std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double sum = accumulate ? c[i * ldc + j] : 0.0;
            for (std::size_t p = 0; p < depth; ++p) sum += double(a[i * lda + p]) * b[j * ldb + p];
            c[i * ldc + j] = static_cast<float>(sum);
        }
}

}  // namespace reference
}  // namespace typenet::kernels
