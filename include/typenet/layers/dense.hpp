#pragma once
// Dense<Units, Activation, UseBias>: y = f(x W + b), W stored (inputs, units)
// as Keras stores its kernel; with NoBias, y = f(x W).
#include <algorithm>
#include <array>
#include <cstddef>

#include "typenet/activations.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/matmul.hpp"
#include "typenet/layer.hpp"
#include "typenet/layers/bias.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <std::size_t Units, ActivationFunction Act = Linear, BiasChoice UseBias = Bias>
struct Dense {
    static_assert(Units > 0, "typenet: Dense needs at least one unit");
    using activation = Act;
    // The same layer with another activation, on the same parameters (see loss_input.hpp).
    template <ActivationFunction Other>
    using with_activation = Dense<Units, Other, UseBias>;
    // The same layer with a per-unit affine after it taken in (inference_form.hpp).
    using with_channel_affine = Dense<Units, Act, Bias>;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::rank == 1;
        static_assert(value, "typenet: Dense expects a flat input; add Flatten before it");
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Dense";
        using input_shape = In;
        using output_shape = Shape<Units>;
        static constexpr std::size_t inputs = In::size;
        static constexpr std::size_t kernel_size = inputs * Units;
        static constexpr std::size_t parameter_count = kernel_size + (detail::has_bias<UseBias> ? Units : 0);
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr auto tensors = detail::kernel_and_bias<UseBias>(
            {"kernel", 0, 2, {inputs, Units, 0, 0}, "weight", TorchAxes::channels_first}, Units);

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append(Act::name);
        }

        static void fold_channel_affine(const float* params, const float* scale, const float* shift, float* folded) {
            detail::fold_channel_affine<UseBias>(params, kernel_size, Units, scale, shift, folded);
        }

        static void initialize(float* params, Random& random) {
            glorot_uniform(params, kernel_size, inputs, Units, random);
            std::fill(params + kernel_size, params + parameter_count, 0.0f);
        }

        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float*) {
            kernels::matmul_broadcast<Arch>(rows, Units, inputs, {x, inputs, 1}, params, Units, y, Units, false);
            detail::add_bias_and_activate<Arch, Act, UseBias>(y, params + kernel_size, rows, Units);
        }

        template <class Arch>
        static void backward(const float* params, const float* x, const float* y, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float*) {
            kernels::activation_backward<Arch, Act>(dy, y, dy, rows * Units);
            // dW = x^T dz: row i of dW gathers column i of x.
            kernels::matmul_broadcast<Arch>(inputs, Units, rows, {x, 1, inputs}, dy, Units, grad_params, Units, false);
            detail::write_bias_gradient<Arch, UseBias>(dy, rows, Units, grad_params + kernel_size);
            if (dx) kernels::matmul_dot<Arch>(rows, inputs, Units, dy, Units, params, Units, dx, inputs, false);
        }
    };
};

}  // namespace typenet
