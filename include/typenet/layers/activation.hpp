#pragma once
// Activation<Act>: y = Act(x) element-wise, as Keras's Activation('relu')
// layer; any input shape, no parameters. Where Dense<64, ReLU> applies its
// activation after its product, this applies one on its own: after a layer
// that has none, or a normalization between the two. Like Dense, it names its
// activation and its twin with another, so that a model ending in
// Activation<Sigmoid> trains on the logits before it (loss_input.hpp).
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/activations.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <ActivationFunction Act>
struct Activation {
    using activation = Act;
    template <ActivationFunction Other>
    using with_activation = Activation<Other>;
    // In an inference form it joins the layer before it, when that one has
    // no activation of its own (inference_form.hpp): one pass less.
    static constexpr bool joins_previous_layer = true;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Activation";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append(Act::name);
        }

        static void initialize(float*, Random&) {}

        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            kernels::activate<Arch, Act>(x, y, rows * In::size);
        }

        template <class Arch>
        static void backward(const float*, const float*, const float* y, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (dx) kernels::activation_backward<Arch, Act>(dy, y, dx, rows * In::size);
        }
    };
};

}  // namespace typenet
