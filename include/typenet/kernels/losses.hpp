#pragma once
// Loss sums and their gradients. Each returns the sum of the loss's terms
// (one an element, or one a class vector for the crossentropies) and, when
// gradient is given, writes scale times each term's derivative into it: the
// caller's scale makes the sum a mean, as Keras reports it (reduction.hpp),
// whatever the number of real rows in the batch.
//
// The crossentropies follow Keras (tf.keras.backend, TensorFlow 2):
//   from logits, the log-sum-exp form, finite for logits of any size:
//     binary       max(z, 0) - z t + log(1 + e^-|z|)        (sigmoid_cross_entropy_with_logits)
//     categorical  sum_k t_k (log sum_j e^(z_j - m) + m - z_k), m = max z
//   from probabilities, clipped to [eps, 1 - eps] with eps = 1e-7, where
//   the clip passes no gradient (as tf.clip_by_value):
//     binary       -(t log(p + eps) + (1 - t) log(1 - p + eps))
//     categorical  the categorical one on log(clip(y)), which divides the
//                  clipped probabilities by their sum, as Keras's sparse
//                  crossentropy does (its one-hot one divides before clipping;
//                  the two differ only where a probability is clipped)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/simd.hpp"
#include "typenet/kernels/softmax.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// Keras's backend epsilon, by which probabilities are kept from 0 and 1.
inline constexpr float probability_epsilon = 1e-7f;

// xsimd 8.1's logarithm of float vectors does not compile for AVX-512BW
// under GCC 12 (its integer select casts a batch<int> to a vector of bytes),
// so the kernels that take logarithms of vectors, those of probabilities, run
// on the next narrower set there. (From logits they need only exp and
// log1p, which compile.)
template <class Arch>
using logarithm_arch = std::conditional_t<is_avx512<Arch>, narrower_t<Arch>, Arch>;

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
        sum = simd::fma(d, d, sum);
        if (gradient) (twice_scale * d).store_unaligned(gradient + i);
    }
    double total = simd::hadd(sum);
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
        sum += simd::abs(d);
        if (gradient) simd::select(d > zero, plus, simd::select(d < zero, minus, zero)).store_unaligned(gradient + i);
    }
    double total = simd::hadd(sum);
    for (; i < count; ++i) {
        const float d = y[i] - t[i];
        total += std::abs(d);
        if (gradient) gradient[i] = d > 0.0f ? scale : d < 0.0f ? -scale : 0.0f;
    }
    return total;
}

// The scalar twin of simd::select, so that one formula serves vectors and their tails.
inline float select(bool condition, float if_true, float if_false) { return condition ? if_true : if_false; }

// Returns the sum over i < count of term(y[i], t[i]).first and, when gradient
// is given, writes scale * term(y[i], t[i]).second into it; term takes
// vectors or floats and returns a pair of the same (the loss, its derivative).
template <class Arch, class Term>
double sum_of_terms(const float* y, const float* t, std::size_t count, float scale, float* gradient, Term term) {
    using V = floats<Arch>;
    const std::size_t whole = vector_part<Arch>(count);
    const V by(scale);
    V sum(0.0f);
    std::size_t i = 0;
    for (; i < whole; i += lanes<Arch>) {
        const auto [loss, derivative] = term(V::load_unaligned(y + i), V::load_unaligned(t + i));
        sum += loss;
        if (gradient) (by * derivative).store_unaligned(gradient + i);
    }
    double total = simd::hadd(sum);
    for (; i < count; ++i) {
        const auto [loss, derivative] = term(y[i], t[i]);
        total += loss;
        if (gradient) gradient[i] = scale * derivative;
    }
    return total;
}

// Binary crossentropy of logits z: the loss's terms max(z, 0) - z t + log(1 +
// e^-|z|), their derivatives sigmoid(z) - t, where e^-|z| never overflows.
template <class Arch>
double binary_crossentropy_from_logits(const float* z, const float* t, std::size_t count, float scale,
                                       float* gradient) {
    return sum_of_terms<Arch>(z, t, count, scale, gradient, [](auto logit, auto target) {
        using T = decltype(logit);
        const T zero(0.0f), one(1.0f);
        const T small = simd::exp(-simd::abs(logit));  // e^-|z| in (0, 1]
        const T sigmoid = select(logit >= zero, one, small) / (one + small);
        return std::pair{simd::max(logit, zero) - logit * target + simd::log1p(small), sigmoid - target};
    });
}

// Binary crossentropy of probabilities y, clipped to [eps, 1 - eps] as Keras does.
template <class Arch>
double binary_crossentropy(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    if constexpr (!std::is_same_v<logarithm_arch<Arch>, Arch>) {
        return binary_crossentropy<logarithm_arch<Arch>>(y, t, count, scale, gradient);
    } else {
        return sum_of_terms<Arch>(y, t, count, scale, gradient, [](auto probability, auto target) {
            using T = decltype(probability);
            const T zero(0.0f), one(1.0f), eps(probability_epsilon), high(1.0f - probability_epsilon);
            const T p = simd::min(simd::max(probability, eps), high);
            const T loss = -(target * simd::log(p + eps) + (one - target) * simd::log(one - p + eps));
            const T derivative = (one - target) / (one - p + eps) - target / (p + eps);
            return std::pair{loss, select(probability >= eps, select(probability <= high, derivative, zero), zero)};
        });
    }
}

// A class vector's target, for the crossentropies: n floats (one-hot, or any
// weights) or the index of the one class that is 1. total is sum_k t_k;
// weighted(x, f) is sum_k t_k f(x_k); subtract(x, g, f) does g_k -= t_k f(x_k).
template <class Arch>
struct TargetVector {
    const float* t;
    std::size_t n;
    float total() const { return sum_of<Arch>(t, n, [](auto w) { return w; }); }
    template <class F>
    float weighted(const float* x, F f) const { return weighted_sum_of<Arch>(t, x, n, f); }
    template <class F>
    void subtract(const float* x, float* g, F f) const {
        using V = floats<Arch>;
        const std::size_t whole = vector_part<Arch>(n);
        std::size_t i = 0;
        for (; i < whole; i += lanes<Arch>)
            simd::fnma(V::load_unaligned(t + i), f(V::load_unaligned(x + i)), V::load_unaligned(g + i))
                .store_unaligned(g + i);
        for (; i < n; ++i) g[i] -= t[i] * f(x[i]);
    }
};

struct TargetIndex {
    std::int32_t index;
    float total() const { return 1.0f; }
    template <class F>
    float weighted(const float* x, F f) const { return f(x[index]); }
    template <class F>
    void subtract(const float* x, float* g, F f) const { g[index] -= f(x[index]); }
};

// Categorical crossentropy of logits, over `vectors` class vectors of n:
// target(v) gives vector v's TargetVector or TargetIndex. Each term is
// sum_k t_k (log s + m - z_k), with m = max z and s = sum_j e^(z_j - m) in
// [1, n]; each derivative is softmax(z) sum_k t_k - t. The gradient's memory
// holds e^(z - m) on the way.
template <class Arch, class Target>
double crossentropy_from_logits(const float* z, Target target, std::size_t vectors, std::size_t n, float scale,
                                float* gradient) {
    double total = 0.0;
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* logits = z + v * n;
        float* g = gradient ? gradient + v * n : nullptr;
        const auto t = target(v);
        const float largest = largest_of<Arch>(logits, n);
        const float sum = exp_shifted<Arch>(logits, largest, g, n);
        const float weight = t.total();
        total += double(weight) * std::log(sum) + t.weighted(logits, [largest](auto x) { return decltype(x)(largest) - x; });
        if (g) {
            const float softmax_scale = scale * weight / sum;
            transform<Arch>(g, g, n, [softmax_scale](auto e, auto) { return e * decltype(e)(softmax_scale); });
            t.subtract(logits, g, [scale](auto x) { return decltype(x)(scale); });
        }
    }
    return total;
}

// Categorical crossentropy of probabilities y: the one of logits log c, with c
// = clip(y, eps, 1 - eps). Each term is sum_k t_k (log sum_j c_j - log c_k);
// each derivative, where y is inside the clip, sum_k t_k / sum_j c_j - t / c,
// and 0 outside it.
template <class Arch, class Target>
double crossentropy(const float* y, Target target, std::size_t vectors, std::size_t n, float scale, float* gradient) {
    const auto clip = [](auto p) {
        using T = decltype(p);
        return simd::min(simd::max(p, T(probability_epsilon)), T(1.0f - probability_epsilon));
    };
    const auto inside = [](auto p) {
        using T = decltype(p);
        const T zero(0.0f), one(1.0f);
        return select(p >= T(probability_epsilon), select(p <= T(1.0f - probability_epsilon), one, zero), zero);
    };
    double total = 0.0;
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* probabilities = y + v * n;
        const auto t = target(v);
        const float sum = sum_of<Arch>(probabilities, n, clip);
        const float weight = t.total();
        total += double(weight) * std::log(sum) - t.weighted(probabilities, [&](auto p) { return simd::log(clip(p)); });
        if (gradient) {
            float* g = gradient + v * n;
            const float share = scale * weight / sum;
            transform<Arch>(probabilities, g, n, [&](auto p, auto) { return inside(p) * decltype(p)(share); });
            t.subtract(probabilities, g, [&](auto p) { return inside(p) * decltype(p)(scale) / clip(p); });
        }
    }
    return total;
}

// The four crossentropies of class vectors: targets one-hot (n floats a
// vector) or class indices (one a row, the output flat: vectors are rows).
template <class Arch>
double categorical_crossentropy_from_logits(const float* z, const float* t, std::size_t vectors, std::size_t n,
                                            float scale, float* gradient) {
    return crossentropy_from_logits<Arch>(z, [t, n](std::size_t v) { return TargetVector<Arch>{t + v * n, n}; }, vectors,
                                          n, scale, gradient);
}

template <class Arch>
double sparse_categorical_crossentropy_from_logits(const float* z, const std::int32_t* labels, std::size_t rows,
                                                   std::size_t n, float scale, float* gradient) {
    return crossentropy_from_logits<Arch>(z, [labels](std::size_t r) { return TargetIndex{labels[r]}; }, rows, n, scale,
                                          gradient);
}

template <class Arch>
double categorical_crossentropy(const float* y, const float* t, std::size_t vectors, std::size_t n, float scale,
                                float* gradient) {
    using A = logarithm_arch<Arch>;
    return crossentropy<A>(y, [t, n](std::size_t v) { return TargetVector<A>{t + v * n, n}; }, vectors, n, scale,
                           gradient);
}

template <class Arch>
double sparse_categorical_crossentropy(const float* y, const std::int32_t* labels, std::size_t rows, std::size_t n,
                                       float scale, float* gradient) {
    return crossentropy<logarithm_arch<Arch>>(y, [labels](std::size_t r) { return TargetIndex{labels[r]}; }, rows, n,
                                              scale, gradient);
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

inline double binary_crossentropy_from_logits(const float* z, const float* t, std::size_t count, float scale,
                                              float* gradient) {
    double total = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const double x = z[i];
        total += std::max(x, 0.0) - x * t[i] + std::log1p(std::exp(-std::abs(x)));
        if (gradient) gradient[i] = static_cast<float>(scale * ((x >= 0 ? 1.0 / (1.0 + std::exp(-x))
                                                                          : std::exp(x) / (1.0 + std::exp(x))) - t[i]));
    }
    return total;
}

inline double binary_crossentropy(const float* y, const float* t, std::size_t count, float scale, float* gradient) {
    const double eps = probability_epsilon, high = 1.0f - probability_epsilon;
    double total = 0.0;
    for (std::size_t i = 0; i < count; ++i) {
        const double p = std::clamp<double>(y[i], eps, high);
        total -= t[i] * std::log(p + eps) + (1.0 - t[i]) * std::log(1.0 - p + eps);
        if (gradient)
            gradient[i] = y[i] < eps || y[i] > high
                              ? 0.0f
                              : static_cast<float>(scale * ((1.0 - t[i]) / (1.0 - p + eps) - t[i] / (p + eps)));
    }
    return total;
}

// One-hot targets as n floats a vector; class indices are the same with t = e_label.
inline double categorical_crossentropy_from_logits(const float* z, const float* t, std::size_t vectors, std::size_t n,
                                                   float scale, float* gradient) {
    double total = 0.0;
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* x = z + v * n;
        const double largest = *std::max_element(x, x + n);
        double sum = 0.0, weight = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            sum += std::exp(x[k] - largest);
            weight += t[v * n + k];
        }
        const double log_sum_exp = largest + std::log(sum);
        for (std::size_t k = 0; k < n; ++k) total += t[v * n + k] * (log_sum_exp - x[k]);
        if (gradient)
            for (std::size_t k = 0; k < n; ++k)
                gradient[v * n + k] =
                    static_cast<float>(scale * (std::exp(x[k] - largest) / sum * weight - t[v * n + k]));
    }
    return total;
}

inline double categorical_crossentropy(const float* y, const float* t, std::size_t vectors, std::size_t n, float scale,
                                       float* gradient) {
    const double eps = probability_epsilon, high = 1.0f - probability_epsilon;
    double total = 0.0;
    for (std::size_t v = 0; v < vectors; ++v) {
        const float* p = y + v * n;
        double sum = 0.0, weight = 0.0;
        for (std::size_t k = 0; k < n; ++k) {
            sum += std::clamp<double>(p[k], eps, high);
            weight += t[v * n + k];
        }
        for (std::size_t k = 0; k < n; ++k) total -= t[v * n + k] * std::log(std::clamp<double>(p[k], eps, high) / sum);
        if (gradient)
            for (std::size_t k = 0; k < n; ++k)
                gradient[v * n + k] =
                    p[k] < eps || p[k] > high
                        ? 0.0f
                        : static_cast<float>(scale * (weight / sum - t[v * n + k] / std::clamp<double>(p[k], eps, high)));
    }
    return total;
}

}  // namespace reference
}  // namespace typenet::kernels
