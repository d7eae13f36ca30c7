#pragma once
// Optimizer updates over a block of parameters: the whole flat block, or one
// thread's slice of it. Each optimizer's formula is written once, for a vector
// of floats and for a single float alike, and one pass runs it either way:
// Pass::write stores the new values and returns the largest magnitude of the
// state it wrote (kept in a register as it goes: the next step bounds its
// update with it, see optimizers.hpp); Pass::probe stores nothing and counts
// the new values that would not be finite (the exact check, for when that
// bound proves nothing).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

enum class Pass { write, probe };

// What a probe found: how many new weights, and how many new values of the
// optimizer's state (Adam: m and v), would not be finite.
struct NonFinite {
    std::size_t weights = 0;
    std::size_t state = 0;
    std::size_t total() const { return weights + state; }
    NonFinite& operator+=(const NonFinite& other) {
        weights += other.weights;
        state += other.state;
        return *this;
    }
};

// What a pass's weights and state are: float under Pass::write, const float under Pass::probe.
template <Pass P>
using PassTarget = std::conditional_t<P == Pass::write, float, const float>;

namespace detail {

template <class T>
T load(const float* p) {
    if constexpr (std::is_same_v<T, float>) return *p;
    else return T::load_unaligned(p);
}

inline void store(float* p, float x) { *p = x; }
template <class Arch>
void store(float* p, simd::batch<float, Arch> x) {
    x.store_unaligned(p);
}

// Whether every lane of every x is finite: x - x is 0 where x is, NaN where
// not, and a NaN survives the sum.
template <class... T>
bool all_finite(T... x) {
    auto probe = ((x - x) + ...);
    if constexpr (std::is_same_v<decltype(probe), float>) return probe == 0.0f;
    else return simd::all(probe == decltype(probe)(0.0f));
}

inline std::size_t non_finite_lanes(float x) { return !std::isfinite(x); }
template <class Arch>
std::size_t non_finite_lanes(simd::batch<float, Arch> x) {
    alignas(64) float values[lanes<Arch>];
    x.store_aligned(values);
    return static_cast<std::size_t>(
        std::count_if(values, values + lanes<Arch>, [](float value) { return !std::isfinite(value); }));
}

}  // namespace detail

// Every pass runs its formula on each whole vector, then on each float of
// the tail, through one function (a "block" below) per optimizer, inlined so
// that what the pass keeps stays in registers: left in memory, it would be
// reloaded after every vector store, which may alias anything.

template <class T>
struct AdamValues {
    T weight, m, v;
};

// Keras's Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha m / (sqrt(v) + eps),
// with the bias corrections folded into alpha by the caller.
template <class T>
AdamValues<T> adam_values(T w, T g, T m, T v, T alpha, T one_minus_beta1, T one_minus_beta2, T epsilon) {
    m = simd::fma(g - m, one_minus_beta1, m);
    v = simd::fma(g * g - v, one_minus_beta2, v);
    return {w - alpha * m / (simd::sqrt(v) + epsilon), m, v};
}

template <class T, Pass P, class Arch>
[[gnu::always_inline]] inline void adam_block(PassTarget<P>* w, const float* g, PassTarget<P>* m, PassTarget<P>* v,
                                              float alpha, float beta1, float beta2, float epsilon,
                                              LargestMagnitude<Arch>& largest_m, NonFinite& non_finite) {
    const AdamValues<T> next = adam_values(detail::load<T>(w), detail::load<T>(g), detail::load<T>(m),
                                           detail::load<T>(v), T(alpha), T(1.0f - beta1), T(1.0f - beta2), T(epsilon));
    if constexpr (P == Pass::write) {
        detail::store(w, next.weight);
        detail::store(m, next.m);
        detail::store(v, next.v);
        largest_m.add(next.m);
    } else if (!detail::all_finite(next.weight, next.m, next.v)) {
        non_finite.weights += detail::non_finite_lanes(next.weight);
        non_finite.state += detail::non_finite_lanes(next.m) + detail::non_finite_lanes(next.v);
    }
}

// Adam over n parameters. Pass::write returns the largest |m| written, Pass::probe a NonFinite.
template <class Arch, Pass P = Pass::write>
auto adam_update(PassTarget<P>* w, const float* g, PassTarget<P>* m, PassTarget<P>* v, std::size_t n, float alpha,
                 float beta1, float beta2, float epsilon) {
    LargestMagnitude<Arch> largest_m;
    NonFinite non_finite;
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>)
        adam_block<floats<Arch>, P>(w + i, g + i, m + i, v + i, alpha, beta1, beta2, epsilon, largest_m, non_finite);
    for (; i < n; ++i)
        adam_block<float, P>(w + i, g + i, m + i, v + i, alpha, beta1, beta2, epsilon, largest_m, non_finite);
    if constexpr (P == Pass::write) return largest_m.value();
    else return non_finite;
}

template <class T>
struct SgdValues {
    T weight, velocity;
};

// Keras's SGD with momentum: velocity = momentum * velocity - lr * g; w += velocity.
template <class T>
SgdValues<T> sgd_values(T w, T g, T velocity, T learning_rate, T momentum) {
    velocity = momentum * velocity - learning_rate * g;
    return {w + velocity, velocity};
}

template <class T, Pass P, class Arch>
[[gnu::always_inline]] inline void sgd_block(PassTarget<P>* w, const float* g, PassTarget<P>* velocity,
                                             float learning_rate, float momentum,
                                             LargestMagnitude<Arch>& largest_velocity, NonFinite& non_finite) {
    const SgdValues<T> next = sgd_values(detail::load<T>(w), detail::load<T>(g), detail::load<T>(velocity),
                                         T(learning_rate), T(momentum));
    if constexpr (P == Pass::write) {
        detail::store(w, next.weight);
        detail::store(velocity, next.velocity);
        largest_velocity.add(next.velocity);
    } else if (!detail::all_finite(next.weight, next.velocity)) {
        non_finite.weights += detail::non_finite_lanes(next.weight);
        non_finite.state += detail::non_finite_lanes(next.velocity);
    }
}

// SGD over n parameters. Pass::write returns the largest |velocity| written, Pass::probe a NonFinite.
template <class Arch, Pass P = Pass::write>
auto sgd_momentum_update(PassTarget<P>* w, const float* g, PassTarget<P>* velocity, std::size_t n,
                         float learning_rate, float momentum) {
    LargestMagnitude<Arch> largest_velocity;
    NonFinite non_finite;
    const std::size_t whole = vector_part<Arch>(n);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>)
        sgd_block<floats<Arch>, P>(w + i, g + i, velocity + i, learning_rate, momentum, largest_velocity, non_finite);
    for (; i < n; ++i)
        sgd_block<float, P>(w + i, g + i, velocity + i, learning_rate, momentum, largest_velocity, non_finite);
    if constexpr (P == Pass::write) return largest_velocity.value();
    else return non_finite;
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
