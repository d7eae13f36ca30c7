#pragma once
// MaxPooling2D and AveragePooling2D, as Keras's: a square pool, strides that
// default to the pool size, Valid or Same padding with TensorFlow's rule (the
// odd extra row or column at the bottom and right). Padded cells never win a
// max and are not counted in an average. A max's gradient goes whole to the
// first maximum of its window in row-major order, as in PyTorch and TensorFlow.
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/pooling.hpp"
#include "typenet/layer.hpp"
#include "typenet/layers/padding.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

struct MaxOfWindow {
    static constexpr std::string_view kind = "MaxPooling2D";
    template <class Arch, kernels::WindowGeometry g>
    static void forward(const float* x, float* y) { kernels::max_pool<Arch, g>(x, y); }
    template <class Arch, kernels::WindowGeometry g>
    static void backward(const float* x, const float* y, const float* dy, float* dx) {
        kernels::max_pool_backward<Arch, g>(x, y, dy, dx);
    }
};

struct MeanOfWindow {
    static constexpr std::string_view kind = "AveragePooling2D";
    template <class Arch, kernels::WindowGeometry g>
    static void forward(const float* x, float* y) { kernels::average_pool<Arch, g>(x, y); }
    template <class Arch, kernels::WindowGeometry g>
    static void backward(const float*, const float*, const float* dy, float* dx) {
        kernels::average_pool_backward<Arch, g>(dy, dx);
    }
};

template <class Pool, std::size_t Size, std::size_t Stride, class Pad>
struct Pooling2D {
    static_assert(Size > 0 && Stride > 0, "typenet: a pooling layer needs a positive pool size and stride");

    template <class Index, class In>
    struct input_check {
        static constexpr bool is_image = In::rank == 3;
        static_assert(is_image, "typenet: a 2D pooling layer expects (height, width, channels); add Reshape<h, w, c> "
                                "before it");
        static constexpr bool fits = !is_image || std::is_same_v<Pad, Same> ||
                                     (In::dims[0] >= Size && In::dims[1] >= Size);
        static_assert(fits, "typenet: a pooling layer with Valid padding needs an input at least as large as its "
                            "pool; use Same, or a smaller pool");
        static constexpr bool value = is_image && fits;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = Pool::kind;
        static constexpr kernels::WindowGeometry geometry = narrowing_geometry<Pad, In>(Size, Stride);
        using input_shape = In;
        using output_shape = Shape<geometry.narrow_height, geometry.narrow_width, In::dims[2]>;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            describe_geometry(text, geometry);
        }

        static void initialize(float*, Random&) {}

        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            for (std::size_t s = 0; s < rows; ++s)
                Pool::template forward<Arch, geometry>(x + s * In::size, y + s * output_shape::size);
        }

        template <class Arch>
        static void backward(const float*, const float* x, const float* y, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (!dx) return;
            for (std::size_t s = 0; s < rows; ++s)
                Pool::template backward<Arch, geometry>(x + s * In::size, y + s * output_shape::size,
                                                        dy + s * output_shape::size, dx + s * In::size);
        }
    };
};

}  // namespace detail

// MaxPooling2D<2> halves an image; MaxPooling2D<2, 2, Same> rounds odd sizes up (7 -> 4).
template <std::size_t Size, std::size_t Stride = Size, Padding Pad = Valid>
struct MaxPooling2D : detail::Pooling2D<detail::MaxOfWindow, Size, Stride, Pad> {};

template <std::size_t Size, std::size_t Stride = Size, Padding Pad = Valid>
struct AveragePooling2D : detail::Pooling2D<detail::MeanOfWindow, Size, Stride, Pad> {};

}  // namespace typenet
