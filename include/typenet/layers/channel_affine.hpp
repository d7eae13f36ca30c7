#pragma once
// ChannelAffine: y = x scale + shift, one scale and shift per channel (the
// last axis), trained like any layer. It is what a BatchNormalization becomes
// in a model's inference form where no layer before it can take it in
// (inference_form.hpp), as dlib turns a trained bn_ into an affine_.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct ChannelAffine {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "ChannelAffine";
        static constexpr std::size_t channels = In::dims[In::rank - 1];
        static constexpr std::size_t pixels = In::size / channels;
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 2 * channels;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 2> tensors{{{"scale", 0, 1, {channels, 0, 0, 0}},
                                                            {"shift", channels, 1, {channels, 0, 0, 0}}}};

        static void initialize(float* params, Random&) {
            std::fill_n(params, channels, 1.0f);
            std::fill_n(params + channels, channels, 0.0f);
        }

        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float*) {
            const float* scale = params;
            const float* shift = params + channels;
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c)
                    y[p * channels + c] = x[p * channels + c] * scale[c] + shift[c];
        }

        template <class Arch>
        static void backward(const float* params, const float* x, const float*, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float*) {
            float* grad_scale = grad_params;
            float* grad_shift = grad_params + channels;
            std::fill_n(grad_params, parameter_count, 0.0f);
            for (std::size_t p = 0; p < rows * pixels; ++p)
                for (std::size_t c = 0; c < channels; ++c) {
                    grad_scale[c] += dy[p * channels + c] * x[p * channels + c];
                    grad_shift[c] += dy[p * channels + c];
                }
            if (dx)
                for (std::size_t p = 0; p < rows * pixels; ++p)
                    for (std::size_t c = 0; c < channels; ++c) dx[p * channels + c] = dy[p * channels + c] * params[c];
        }
    };
};

}  // namespace typenet
