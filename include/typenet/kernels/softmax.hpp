#pragma once
// Softmax over vectors of n floats (the last axis), its backward, and the
// passes over one such vector that softmax and the crossentropies share.
// The largest value is taken out before exp, so logits of any size give
// finite results: e^(z - max) lies in (0, 1], and their sum in [1, n].
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// The largest of x[0..n), n > 0.
template <class Arch>
float largest_of(const float* x, std::size_t n) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(n);
    float largest = -std::numeric_limits<float>::infinity();
    std::size_t i = 0;
    if (whole > 0) {
        V vector = V::load_unaligned(x);
        for (i = lanes<Arch>; i < whole; i += lanes<Arch>) vector = simd::max(vector, V::load_unaligned(x + i));
        alignas(64) float lane_values[lanes<Arch>];
        vector.store_aligned(lane_values);
        largest = *std::max_element(lane_values, lane_values + lanes<Arch>);
    }
    for (; i < n; ++i) largest = std::max(largest, x[i]);
    return largest;
}

// Sum of f(x[i]) over i < n; f takes a vector or a float and returns the same.
template <class Arch, class F>
float sum_of(const float* x, std::size_t n, F f) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(n);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) sum += f(V::load_unaligned(x + i));
    float total = simd::hadd(sum);
    for (; i < n; ++i) total += f(x[i]);
    return total;
}

// Sum of w[i] * f(x[i]) over i < n.
template <class Arch, class F>
float weighted_sum_of(const float* w, const float* x, std::size_t n, F f) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(n);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) sum = simd::fma(V::load_unaligned(w + i), f(V::load_unaligned(x + i)), sum);
    float total = simd::hadd(sum);
    for (; i < n; ++i) total += w[i] * f(x[i]);
    return total;
}

// out[i] = f(x[i], out[i]) over i < n (out may be read before it is written).
template <class Arch, class F>
void transform(const float* x, float* out, std::size_t n, F f) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) f(V::load_unaligned(x + i), V::load_unaligned(out + i)).store_unaligned(out + i);
    for (; i < n; ++i) out[i] = f(x[i], out[i]);
}

// Writes e^(x[i] - shift) into out, when given, and returns their sum.
template <class Arch>
float exp_shifted(const float* x, float shift, float* out, std::size_t n) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(n);
    const V by(shift);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const V e = simd::exp(V::load_unaligned(x + i) - by);
        if (out) e.store_unaligned(out + i);
        sum += e;
    }
    float total = simd::hadd(sum);
    for (; i < n; ++i) {
        const float e = std::exp(x[i] - shift);
        if (out) out[i] = e;
        total += e;
    }
    return total;
}

// y = e^(z - max z) / sum, over each of `vectors` vectors of n.
template <class Arch>
void softmax(const float* z, float* y, std::size_t vectors, std::size_t n) {
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* in = z + v * n;
        float* out = y + v * n;
        const float sum = exp_shifted<Arch>(in, largest_of<Arch>(in, n), out, n);
        transform<Arch>(out, out, n, [sum](auto e, auto) { return e / decltype(e)(sum); });
    }
}

// dx = y (dy - sum_k y_k dy_k), over each vector: the softmax's Jacobian
// (diag(y) - y y^T) applied to dy.
template <class Arch>
void softmax_backward(const float* y, const float* dy, float* dx, std::size_t vectors, std::size_t n) {
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* out = y + v * n;
        const float* d_out = dy + v * n;
        float* d_in = dx + v * n;
        const float along = weighted_sum_of<Arch>(out, d_out, n, [](auto d) { return d; });
        std::copy_n(d_out, n, d_in);
        transform<Arch>(out, d_in, n, [along](auto y_k, auto d) { return y_k * (d - decltype(d)(along)); });
    }
}

namespace reference {

inline void softmax(const float* z, float* y, std::size_t vectors, std::size_t n) {
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* in = z + v * n;
        const double largest = *std::max_element(in, in + n);
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) sum += std::exp(in[i] - largest);
        for (std::size_t i = 0; i < n; ++i) y[v * n + i] = static_cast<float>(std::exp(in[i] - largest) / sum);
    }
}

inline void softmax_backward(const float* y, const float* dy, float* dx, std::size_t vectors, std::size_t n) {
    for (std::size_t v = 0; v < vectors; ++v) {
        double along = 0.0;
        for (std::size_t i = 0; i < n; ++i) along += double(y[v * n + i]) * dy[v * n + i];
        for (std::size_t i = 0; i < n; ++i) dx[v * n + i] = static_cast<float>(y[v * n + i] * (dy[v * n + i] - along));
    }
}

}  // namespace reference
}  // namespace typenet::kernels
