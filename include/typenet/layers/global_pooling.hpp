#pragma once
// GlobalMaxPooling2D and GlobalAveragePooling2D, as Keras's: (height, width,
// channels) to (channels), the max or the mean of each channel over all
// pixels. A max's gradient goes whole to its first maximum in row-major order.
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/pooling.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

struct MaxOfImage {
    static constexpr std::string_view kind = "GlobalMaxPooling2D";
    template <class Arch, std::size_t Pixels, std::size_t C>
    static void forward(const float* x, float* y) { kernels::global_max_pool<Arch, Pixels, C>(x, y); }
    template <class Arch, std::size_t Pixels, std::size_t C>
    static void backward(const float* x, const float* y, const float* dy, float* dx) {
        kernels::global_max_pool_backward<Arch, Pixels, C>(x, y, dy, dx);
    }
};

struct MeanOfImage {
    static constexpr std::string_view kind = "GlobalAveragePooling2D";
    template <class Arch, std::size_t Pixels, std::size_t C>
    static void forward(const float* x, float* y) { kernels::global_average_pool<Arch, Pixels, C>(x, y); }
    template <class Arch, std::size_t Pixels, std::size_t C>
    static void backward(const float*, const float*, const float* dy, float* dx) {
        kernels::global_average_pool_backward<Arch, Pixels, C>(dy, dx);
    }
};

template <class Pool>
struct GlobalPooling2D {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::rank == 3;
        static_assert(value, "typenet: a global pooling layer expects (height, width, channels); add Reshape<h, w, c> "
                             "before it");
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = Pool::kind;
        static constexpr std::size_t pixels = In::dims[0] * In::dims[1], channels = In::dims[2];
        using input_shape = In;
        using output_shape = Shape<channels>;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = false;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        static void initialize(float*, Random&) {}

        template <class Arch>
        static void forward(const float*, const float* x, float* y, std::size_t rows, float*) {
            for (std::size_t s = 0; s < rows; ++s)
                Pool::template forward<Arch, pixels, channels>(x + s * In::size, y + s * channels);
        }

        template <class Arch>
        static void backward(const float*, const float* x, const float* y, float* dy, float* dx, float*,
                             std::size_t rows, float*) {
            if (!dx) return;
            for (std::size_t s = 0; s < rows; ++s)
                Pool::template backward<Arch, pixels, channels>(x + s * In::size, y + s * channels, dy + s * channels,
                                                                dx + s * In::size);
        }
    };
};

}  // namespace detail

struct GlobalMaxPooling2D : detail::GlobalPooling2D<detail::MaxOfImage> {};
struct GlobalAveragePooling2D : detail::GlobalPooling2D<detail::MeanOfImage> {};

}  // namespace typenet
