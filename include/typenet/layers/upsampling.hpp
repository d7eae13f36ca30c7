#pragma once
// UpSampling2D<Size>, as Keras's with its default interpolation (nearest):
// every pixel repeated Size times along both axes.
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/compile_time_text.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/pooling.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <std::size_t Size>
struct UpSampling2D {
    static_assert(Size > 0, "typenet: UpSampling2D needs a positive size");

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::rank == 3;
        static_assert(value, "typenet: UpSampling2D expects (height, width, channels); add Reshape<h, w, c> before it");
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "UpSampling2D";
        static constexpr std::size_t height = In::dims[0], width = In::dims[1], channels = In::dims[2];
        using input_shape = In;
        using output_shape = Shape<height * Size, width * Size, channels>;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append("nearest x");
            append_number(text, Size);
        }

        static void initialize(float*, Random&) {}

        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            for (std::size_t s = 0; s < rows; ++s)
                kernels::upsample_nearest<Arch, height, width, channels, Size>(x + s * In::size,
                                                                               y + s * output_shape::size);
        }

        template <class Arch>
        static void backward(const float*, const float*, const float*, float* dy, float* dx, float*, std::size_t rows,
                             float*) {
            if (!dx) return;
            for (std::size_t s = 0; s < rows; ++s)
                kernels::upsample_nearest_backward<Arch, height, width, channels, Size>(dy + s * output_shape::size,
                                                                                        dx + s * In::size);
        }
    };
};

}  // namespace typenet
