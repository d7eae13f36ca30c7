#pragma once
// Activations, each with its derivative written in terms of its output, so
// backward needs only the activations forward already stored. apply and
// derivative work on vector batches (kernels/simd.hpp); the reference_ twins are the plain
// formulas the tests check the vector code against.
#include <cmath>
#include <concepts>
#include <string_view>

#include "typenet/kernels/simd.hpp"

#include "typenet/compile_time_text.hpp"
#include "typenet/decimal.hpp"
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
    static V apply(V x) { return simd::max(x, V(0.0f)); }
    // At 0 the derivative is taken as 0, as TensorFlow and PyTorch do.
    template <class V>
    static V derivative(V y) { return simd::select(y > V(0.0f), V(1.0f), V(0.0f)); }
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
    static V apply(V x) { return V(1.0f) / (V(1.0f) + simd::exp(-x)); }
    template <class V>
    static V derivative(V y) { return y * (V(1.0f) - y); }
    static float reference_apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
    static float reference_derivative(float y) { return y * (1.0f - y); }
};

struct Tanh {
    static constexpr std::string_view name = "tanh";
    template <class V>
    static V apply(V x) { return simd::tanh(x); }
    template <class V>
    static V derivative(V y) { return V(1.0f) - y * y; }
    static float reference_apply(float x) { return std::tanh(x); }
    static float reference_derivative(float y) { return 1.0f - y * y; }
};

namespace detail {

// "leaky_relu(0.3)": the name of an activation with a real-valued setting.
// The setting is always written, so that two slopes never share a model file.
template <const std::string_view& Function, Decimal Setting>
struct NameWithSetting {
    template <class Text>
    static constexpr void write(Text& text) {
        text.append(Function);
        text.append("(");
        append_decimal(text, Setting);
        text.append(")");
    }
};
inline constexpr std::string_view leaky_relu_name = "leaky_relu";
inline constexpr std::string_view elu_name = "elu";

}  // namespace detail

// Keras's LeakyReLU(alpha=Slope): x for x > 0, Slope x otherwise.
template <Decimal Slope = "0.3">
struct LeakyReLU {
    // Positive, the output has the sign of the input, so the derivative can be read from the output.
    static_assert(Slope.significand > 0, "typenet: LeakyReLU's slope must be positive (Keras's default is 0.3)");
    static constexpr float slope = Slope.value_as_float();
    static constexpr std::string_view name =
        constant_text<detail::NameWithSetting<detail::leaky_relu_name, Slope>>.view();
    template <class V>
    static V apply(V x) { return simd::select(x > V(0.0f), x, x * V(slope)); }
    // At 0 the derivative is taken as the slope, as TensorFlow does.
    template <class V>
    static V derivative(V y) { return simd::select(y > V(0.0f), V(1.0f), V(slope)); }
    static float reference_apply(float x) { return x > 0.0f ? x : slope * x; }
    static float reference_derivative(float y) { return y > 0.0f ? 1.0f : slope; }
};

// Keras's ELU(alpha=Alpha): x for x > 0, Alpha (e^x - 1) otherwise. e^x - 1 is
// computed as expm1, which keeps its digits where x is near 0 (e^x - 1 would
// cancel them). For x <= 0, y = Alpha e^x - Alpha, so y' = y + Alpha.
template <Decimal Alpha = "1">
struct ELU {
    static_assert(Alpha.significand > 0, "typenet: ELU's alpha must be positive (Keras's default is 1)");
    static constexpr float alpha = Alpha.value_as_float();
    static constexpr std::string_view name = constant_text<detail::NameWithSetting<detail::elu_name, Alpha>>.view();
    template <class V>
    static V apply(V x) { return simd::select(x > V(0.0f), x, V(alpha) * simd::expm1(x)); }
    // At 0 the derivative is taken as alpha, as Keras's gradient of its ELU gives.
    template <class V>
    static V derivative(V y) { return simd::select(y > V(0.0f), V(1.0f), y + V(alpha)); }
    static float reference_apply(float x) { return x > 0.0f ? x : alpha * std::expm1(x); }
    static float reference_derivative(float y) { return y > 0.0f ? 1.0f : y + alpha; }
};

// What a layer's activation parameter must provide.
template <class T>
concept ActivationFunction = requires(float x, simd::batch<float> v) {
    { T::name } -> std::convertible_to<std::string_view>;
    { T::apply(v) } -> std::same_as<simd::batch<float>>;
    { T::derivative(v) } -> std::same_as<simd::batch<float>>;
    { T::reference_apply(x) } -> std::same_as<float>;
    { T::reference_derivative(x) } -> std::same_as<float>;
};

}  // namespace typenet
