#pragma once
// Element-wise passes over activations: bias plus activation after a product
// (or the activation alone), the activation's derivative before one, the bias gradient, the threads'
// gradients summed in a fixed order, and what a step's gradients hold (NaN or
// infinite values, the largest magnitude).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// dst[i] = sources[0][i] + sources[1][i] + ... + sources[source_count - 1][i],
// added in that order whatever dst is (it may be one of the sources), over i < count.
template <class Arch>
void sum_in_order(float* dst, const float* const* sources, std::size_t source_count, std::size_t count) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        V sum = V::load_unaligned(sources[0] + i);
        for (std::size_t s = 1; s < source_count; ++s) sum += V::load_unaligned(sources[s] + i);
        sum.store_unaligned(dst + i);
    }
    for (; i < count; ++i) {
        float sum = sources[0][i];
        for (std::size_t s = 1; s < source_count; ++s) sum += sources[s][i];
        dst[i] = sum;
    }
}

// dst[0..N) += sum over k < K of coefficients[k] * rows[k * stride + 0..N):
// one accumulator per vector of dst, kept in registers across the K rows.
template <class Arch, std::size_t N, std::size_t K>
inline void add_combination(float* dst, const float* coefficients, const float* rows, std::size_t stride) {
    using V = floats<Arch>;
    constexpr std::size_t whole = vector_part<Arch>(N);
    for (std::size_t i = 0; i < whole; i += lanes<Arch>) {
        V acc = V::load_unaligned(dst + i);
        for (std::size_t k = 0; k < K; ++k) acc = simd::fma(V(coefficients[k]), V::load_unaligned(rows + k * stride + i), acc);
        acc.store_unaligned(dst + i);
    }
    if constexpr (whole < N) {
        if constexpr (!std::is_void_v<narrower_t<Arch>>) {
            add_combination<narrower_t<Arch>, N - whole, K>(dst + whole, coefficients, rows + whole, stride);
        } else {
            for (std::size_t i = whole; i < N; ++i)
                for (std::size_t k = 0; k < K; ++k) dst[i] += coefficients[k] * rows[k * stride + i];
        }
    }
}

// A vector whose lane l holds bias[l % n], for n dividing the lanes: with it,
// rows of n floats are a flat run of whole vectors (a convolution of one filter
// would otherwise go a float at a time).
template <class Arch>
floats<Arch> tiled(const float* bias, std::size_t n) {
    alignas(64) float lanes_of[lanes<Arch>];
    for (std::size_t l = 0; l < lanes<Arch>; ++l) lanes_of[l] = bias[l % n];
    return floats<Arch>::load_unaligned(lanes_of);
}

// y(r, j) = f(y(r, j) + bias(j)) over rows x n.
template <class Arch, class Act>
void add_bias_activate(float* y, const float* bias, std::size_t rows, std::size_t n) {
    using V = floats<Arch>;
    if (n < lanes<Arch> && lanes<Arch> % n == 0) {
        const V b = tiled<Arch>(bias, n);
        const std::size_t count = rows * n, whole = vector_part<Arch>(count);
        std::size_t i = 0;
        for (; i < whole; i += lanes<Arch>) Act::apply(V::load_unaligned(y + i) + b).store_unaligned(y + i);
        for (; i < count; ++i) y[i] = Act::reference_apply(y[i] + bias[i % n]);
        return;
    }
    const std::size_t whole = vector_part<Arch>(n);
    for (std::size_t r = 0; r < rows; ++r) {
        float* row = y + r * n;
        std::size_t j = 0;
        for (; j < whole; j += lanes<Arch>)
            Act::apply(V::load_unaligned(row + j) + V::load_unaligned(bias + j)).store_unaligned(row + j);
        for (; j < n; ++j) row[j] = Act::reference_apply(row[j] + bias[j]);
    }
}

// y[i] = f(x[i]); y may be x (in place).
template <class Arch, class Act>
void activate(const float* x, float* y, std::size_t count) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) Act::apply(V::load_unaligned(x + i)).store_unaligned(y + i);
    for (; i < count; ++i) y[i] = Act::reference_apply(x[i]);
}

// dx = dy f'(y): the gradient before the activation. dx may be dy (in place).
template <class Arch, class Act>
void activation_backward(const float* dy, const float* y, float* dx, std::size_t count) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>)
        (V::load_unaligned(dy + i) * Act::derivative(V::load_unaligned(y + i))).store_unaligned(dx + i);
    for (; i < count; ++i) dx[i] = dy[i] * Act::reference_derivative(y[i]);
}

// out(j) = sum over r of x(r, j).
template <class Arch>
void column_sums(const float* x, std::size_t rows, std::size_t n, float* out) {
    using V = floats<Arch>;
    if (n < lanes<Arch> && lanes<Arch> % n == 0) {  // whole vectors of the flat run, then its lanes by column
        const std::size_t count = rows * n, whole = vector_part<Arch>(count);
        V sum(0.0f);
        for (std::size_t i = 0; i < whole; i += lanes<Arch>) sum += V::load_unaligned(x + i);
        alignas(64) float lane_sums[lanes<Arch>];
        sum.store_aligned(lane_sums);
        std::fill_n(out, n, 0.0f);
        for (std::size_t l = 0; l < lanes<Arch>; ++l) out[l % n] += lane_sums[l];
        for (std::size_t i = whole; i < count; ++i) out[i % n] += x[i];
        return;
    }
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t j = 0;
    for (; j < whole; j += lanes<Arch>) {
        V sum(0.0f);
        for (std::size_t r = 0; r < rows; ++r) sum += V::load_unaligned(x + r * n + j);
        sum.store_unaligned(out + j);
    }
    for (; j < n; ++j) {
        float sum = 0.0f;
        for (std::size_t r = 0; r < rows; ++r) sum += x[r * n + j];
        out[j] = sum;
    }
}

// The largest |x| of what it is given, vectors and single floats alike, kept
// in a register until asked.
template <class Arch>
class LargestMagnitude {
public:
    void add(floats<Arch> x) { vector_ = simd::max(vector_, simd::abs(x)); }
    void add(float x) { scalar_ = std::max(scalar_, std::abs(x)); }
    void add(const LargestMagnitude& other) {
        vector_ = simd::max(vector_, other.vector_);
        scalar_ = std::max(scalar_, other.scalar_);
    }
    float value() const {
        alignas(64) float lane_values[lanes<Arch>];
        vector_.store_aligned(lane_values);
        return std::max(scalar_, *std::max_element(lane_values, lane_values + lanes<Arch>));
    }

private:
    floats<Arch> vector_ = floats<Arch>(0.0f);  // a broadcast: braces would read lanes<Arch> values
    float scalar_ = 0.0f;
};

// How many of a block of floats are NaN or infinite, and the largest |x| (of
// use when none is).
struct Magnitudes {
    std::size_t non_finite = 0;
    float largest = 0.0f;
};

namespace detail {

// The Magnitudes of n values, made a vector (vector_at(i)) or a float
// (float_at(i)) at a time and left in written[0..n). x - x is 0 for every
// finite x and NaN otherwise, so the common case (none) costs one pass of
// adds; they run in four chains, because one chain would wait out each add's
// latency, and the pass would run at a third of the speed its reads allow.
template <class Arch, class VectorAt, class FloatAt>
Magnitudes measure(std::size_t n, VectorAt vector_at, FloatAt float_at, const float* written) {
    using V = floats<Arch>;
    constexpr std::size_t chains = 4, stride = chains * lanes<Arch>;
    V probe[chains] = {V(0.0f), V(0.0f), V(0.0f), V(0.0f)};
    LargestMagnitude<Arch> largest[chains];
    std::size_t i = 0;
    for (; i + stride <= n; i += stride) {
        TYPENET_UNROLL
        for (std::size_t c = 0; c < chains; ++c) {
            const V v = vector_at(i + c * lanes<Arch>);
            probe[c] += v - v;
            largest[c].add(v);
        }
    }
    float tail = 0.0f;
    for (; i < n; ++i) {
        const float x = float_at(i);
        tail += x - x;
        largest[0].add(x);
    }
    for (std::size_t c = 1; c < chains; ++c) {
        probe[0] += probe[c];
        largest[0].add(largest[c]);
    }
    Magnitudes result{0, largest[0].value()};
    if (simd::hadd(probe[0]) == 0.0f && tail == 0.0f) return result;
    for (std::size_t j = 0; j < n; ++j) result.non_finite += !std::isfinite(written[j]);
    return result;
}

}  // namespace detail

// The Magnitudes of x[0..n).
template <class Arch>
Magnitudes magnitudes(const float* x, std::size_t n) {
    return detail::measure<Arch>(
        n, [&](std::size_t i) { return floats<Arch>::load_unaligned(x + i); }, [&](std::size_t i) { return x[i]; },
        x);
}

// sum_in_order, and the Magnitudes of the sums, in one pass: what a training
// step does with each thread's slice of the shares' gradients (the dense
// autoencoder's halves on Zen 4: 22.1 µs with a second pass, 20.1-20.7 without).
template <class Arch>
Magnitudes sum_in_order_measured(float* dst, const float* const* sources, std::size_t source_count,
                                 std::size_t count) {
    using V = floats<Arch>;
    auto vector_at = [&](std::size_t i) {
        V sum = V::load_unaligned(sources[0] + i);
        for (std::size_t s = 1; s < source_count; ++s) sum += V::load_unaligned(sources[s] + i);
        sum.store_unaligned(dst + i);
        return sum;
    };
    auto float_at = [&](std::size_t i) {
        float sum = sources[0][i];
        for (std::size_t s = 1; s < source_count; ++s) sum += sources[s][i];
        return dst[i] = sum;
    };
    return detail::measure<Arch>(count, vector_at, float_at, dst);
}

namespace reference {

template <class Act>
void add_bias_activate(float* y, const float* bias, std::size_t rows, std::size_t n) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < n; ++j) y[r * n + j] = Act::reference_apply(y[r * n + j] + bias[j]);
}

template <class Act>
void activate(const float* x, float* y, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) y[i] = Act::reference_apply(x[i]);
}

template <class Act>
void activation_backward(const float* dy, const float* y, float* dx, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) dx[i] = dy[i] * Act::reference_derivative(y[i]);
}

inline void column_sums(const float* x, std::size_t rows, std::size_t n, float* out) {
    for (std::size_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (std::size_t r = 0; r < rows; ++r) sum += x[r * n + j];
        out[j] = static_cast<float>(sum);
    }
}

}  // namespace reference
}  // namespace typenet::kernels
