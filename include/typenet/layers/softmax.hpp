#pragma once
// Softmax: y = e^x / sum e^x over the last axis (Keras's Softmax(axis=-1)),
// each vector of scores turned into probabilities. Not an activation of
// Dense: it is not element-wise, each output depends on the whole vector.
// A model that ends in it and is trained with a categorical crossentropy of
// probabilities is trained on the scores before it (loss_input.hpp).
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/softmax.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct Softmax {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Softmax";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t classes = In::dims[In::rank - 1];
        static constexpr std::size_t vectors_per_row = In::size / classes;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        static void initialize(float*, Random&) {}

        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            kernels::softmax<Arch>(x, y, rows * vectors_per_row, classes);
        }

        template <class Arch>
        static void backward(const float*, const float*, const float* y, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (dx) kernels::softmax_backward<Arch>(y, dy, dx, rows * vectors_per_row, classes);
        }
    };
};

}  // namespace typenet
