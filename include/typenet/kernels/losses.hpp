#pragma once
// Loss sums and their gradients over count predictions. The gradient is
// scaled by the caller's 1/count so that the loss is a per-element mean, as
// Keras reports it, whatever the number of real rows in the batch.
#include <cmath>
#include <cstddef>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// Returns sum (y - t)^2; when gradient is given, writes scale * 2 (y - t) into it.
template <class Arch>
double squared_error(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    const V twice_scale(2.0f * scale);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const V d = V::load_unaligned(y + i) - V::load_unaligned(t + i);
        sum = xsimd::fma(d, d, sum);
        if (gradient) (twice_scale * d).store_unaligned(gradient + i);
    }
    double total = xsimd::hadd(sum);
    for (; i < count; ++i) {
        const float d = y[i] - t[i];
        total += double(d) * d;
        if (gradient) gradient[i] = 2.0f * scale * d;
    }
    return total;
}

// Returns sum |y - t|; the gradient is scale * sign(y - t), 0 where they agree.
template <class Arch>
double absolute_error(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    const V zero(0.0f), plus(scale), minus(-scale);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const V d = V::load_unaligned(y + i) - V::load_unaligned(t + i);
        sum += xsimd::abs(d);
        if (gradient) xsimd::select(d > zero, plus, xsimd::select(d < zero, minus, zero)).store_unaligned(gradient + i);
    }
    double total = xsimd::hadd(sum);
    for (; i < count; ++i) {
        const float d = y[i] - t[i];
        total += std::abs(d);
        if (gradient) gradient[i] = d > 0.0f ? scale : d < 0.0f ? -scale : 0.0f;
    }
    return total;
}

namespace reference {

inline double squared_error(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    double total = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const float d = y[i] - t[i];
        total += double(d) * d;
        if (gradient) gradient[i] = 2.0f * scale * d;
    }
    return total;
}

inline double absolute_error(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    double total = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const float d = y[i] - t[i];
        total += std::abs(d);
        if (gradient) gradient[i] = d > 0.0f ? scale : d < 0.0f ? -scale : 0.0f;
    }
    return total;
}

}  // namespace reference
}  // namespace typenet::kernels
