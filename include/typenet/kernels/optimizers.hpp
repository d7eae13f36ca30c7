#pragma once
// Optimizer updates over the whole flat parameter block at once.
#include <cmath>
#include <cstddef>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// Keras's Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v) + eps),
// with the bias corrections folded into alpha by the caller.
template <class Arch>
void adam_update(float* w, const float* g, float* m, float* v, std::size_t n, float alpha, float beta1,
                 float beta2, float epsilon) {
    using V = floats<Arch>;
    const V one_minus_b1(1.0f - beta1), one_minus_b2(1.0f - beta2), a(alpha), eps(epsilon);
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const V gi = V::load_unaligned(g + i);
        V mi = V::load_unaligned(m + i);
        V vi = V::load_unaligned(v + i);
        mi = xsimd::fma(gi - mi, one_minus_b1, mi);
        vi = xsimd::fma(gi * gi - vi, one_minus_b2, vi);
        mi.store_unaligned(m + i);
        vi.store_unaligned(v + i);
        (V::load_unaligned(w + i) - a * mi / (xsimd::sqrt(vi) + eps)).store_unaligned(w + i);
    }
    for (; i < n; ++i) {
        m[i] = std::fma(g[i] - m[i], 1.0f - beta1, m[i]);
        v[i] = std::fma(g[i] * g[i] - v[i], 1.0f - beta2, v[i]);
        w[i] -= alpha * m[i] / (std::sqrt(v[i]) + epsilon);
    }
}

// Keras's SGD with momentum: velocity = momentum * velocity - lr * g; w += velocity.
template <class Arch>
void sgd_momentum_update(float* w, const float* g, float* velocity, std::size_t n, float learning_rate,
                         float momentum) {
    using V = floats<Arch>;
    const V lr(learning_rate), mu(momentum);
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const V vel = mu * V::load_unaligned(velocity + i) - lr * V::load_unaligned(g + i);
        vel.store_unaligned(velocity + i);
        (V::load_unaligned(w + i) + vel).store_unaligned(w + i);
    }
    for (; i < n; ++i) {
        velocity[i] = momentum * velocity[i] - learning_rate * g[i];
        w[i] += velocity[i];
    }
}

namespace reference {

inline void adam_update(float* w, const float* g, float* m, float* v, std::size_t n, float alpha, float beta1,
                        float beta2, float epsilon) {
    for (std::size_t i = 0; i < n; ++i) {
        m[i] += (g[i] - m[i]) * (1.0f - beta1);
        v[i] += (g[i] * g[i] - v[i]) * (1.0f - beta2);
        w[i] -= alpha * m[i] / (std::sqrt(v[i]) + epsilon);
    }
}

inline void sgd_momentum_update(float* w, const float* g, float* velocity, std::size_t n, float learning_rate,
                                float momentum) {
    for (std::size_t i = 0; i < n; ++i) {
        velocity[i] = momentum * velocity[i] - learning_rate * g[i];
        w[i] += velocity[i];
    }
}

}  // namespace reference
}  // namespace typenet::kernels
