#pragma once
// Activations, each with its derivative written in terms of its output, so
// backward needs only the activations forward already stored. apply and
// derivative work on xsimd batches; the reference_ twins are the plain
// formulas the tests check the vector code against.
#include <cmath>
#include <concepts>
#include <string_view>

#include <xsimd/xsimd.hpp>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct Linear {
    static constexpr std::string_view name = "linear";
    template <class V>
    static V apply(V x) { return x; }
    template <class V>
    static V derivative(V) { return V(1.0f); }
    static float reference_apply(float x) { return x; }
    static float reference_derivative(float) { return 1.0f; }
};

struct ReLU {
    static constexpr std::string_view name = "relu";
    template <class V>
    static V apply(V x) { return xsimd::max(x, V(0.0f)); }
    // At 0 the derivative is taken as 0, as TensorFlow and PyTorch do.
    template <class V>
    static V derivative(V y) { return xsimd::select(y > V(0.0f), V(1.0f), V(0.0f)); }
    static float reference_apply(float x) { return x > 0.0f ? x : 0.0f; }
    static float reference_derivative(float y) { return y > 0.0f ? 1.0f : 0.0f; }
};

struct Sigmoid {
    static constexpr std::string_view name = "sigmoid";
    // For large negative x, e^-x overflows to inf and 1/(1+inf) is 0. The
    // vector exp (xsimd's) overflows from 88.376 on, the float e^88.72 only
    // from 88.723: for x in (-88.723, -88.376) this gives 0 where
    // reference_apply gives a subnormal of 2.9e-39 to 4.2e-39. That is left
    // so: below -88.723 the reference gives 0 too where the true value is
    // still subnormal (down to x = -103.3), a program that flushes denormals
    // gets 0 from both, and a gradient through y(1 - y) of that size moves no
    // weight. Matching it would cost a second exp (xsimd's never returns a
    // subnormal) and a select in every sigmoid of every forward pass.
    template <class V>
    static V apply(V x) { return V(1.0f) / (V(1.0f) + xsimd::exp(-x)); }
    template <class V>
    static V derivative(V y) { return y * (V(1.0f) - y); }
    static float reference_apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
    static float reference_derivative(float y) { return y * (1.0f - y); }
};

struct Tanh {
    static constexpr std::string_view name = "tanh";
    template <class V>
    static V apply(V x) { return xsimd::tanh(x); }
    template <class V>
    static V derivative(V y) { return V(1.0f) - y * y; }
    static float reference_apply(float x) { return std::tanh(x); }
    static float reference_derivative(float y) { return 1.0f - y * y; }
};

// What a layer's activation parameter must provide.
template <class T>
concept ActivationFunction = requires(float x, xsimd::batch<float> v) {
    { T::name } -> std::convertible_to<std::string_view>;
    { T::apply(v) } -> std::same_as<xsimd::batch<float>>;
    { T::derivative(v) } -> std::same_as<xsimd::batch<float>>;
    { T::reference_apply(x) } -> std::same_as<float>;
    { T::reference_derivative(x) } -> std::same_as<float>;
};

}  // namespace typenet
