#pragma once
// Conv2D and Conv2DTranspose, matching Keras/TensorFlow: shapes (height,
// width, channels), kernels laid out as Keras stores them, and TensorFlow's
// padding rules (Same puts the odd extra row and column at the bottom and right);
// with NoBias, no bias (bias.hpp).
#include <algorithm>
#include <array>
#include <cstddef>

#include "typenet/activations.hpp"
#include "typenet/compile_time_text.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/convolution.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/matmul.hpp"
#include "typenet/layer.hpp"
#include "typenet/layers/bias.hpp"
#include "typenet/layers/padding.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// One axis of a transposed convolution, from its input (narrow) to its output (wide).
template <class P>
constexpr std::size_t transposed_output(std::size_t in, std::size_t kernel, std::size_t stride) {
    if constexpr (std::is_same_v<P, Same>) return in * stride;
    else return in * stride + (kernel > stride ? kernel - stride : 0);
}

// The architecture words of both convolutions: the activation, then the window.
template <class Text>
constexpr void describe_window(Text& text, std::string_view activation, const kernels::WindowGeometry& geometry) {
    text.append(activation);
    text.append(" ");
    describe_geometry(text, geometry);
}

}  // namespace detail

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, Padding Pad = Valid,
          ActivationFunction Act = Linear, BiasChoice UseBias = Bias>
struct Conv2D {
    static_assert(Filters > 0 && Kernel > 0 && Stride > 0, "typenet: Conv2D needs positive filters, kernel and stride");
    using activation = Act;
    template <ActivationFunction Other>
    using with_activation = Conv2D<Filters, Kernel, Stride, Pad, Other, UseBias>;
    // The same layer with a per-filter affine after it taken in (inference_form.hpp).
    using with_channel_affine = Conv2D<Filters, Kernel, Stride, Pad, Act, Bias>;

    template <class Index, class In>
    struct input_check {
        static constexpr bool is_image = In::rank == 3;
        static_assert(is_image, "typenet: Conv2D expects (height, width, channels); add Reshape<h, w, c> before it");
        static constexpr bool fits = !is_image || std::is_same_v<Pad, Same> ||
                                     (In::dims[0] >= Kernel && In::dims[1] >= Kernel);
        static_assert(fits, "typenet: Conv2D with Valid padding needs an input at least as large as its kernel");
        static constexpr bool value = is_image && fits;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Conv2D";
        static constexpr std::size_t channels = In::dims[2];
        static constexpr kernels::WindowGeometry geometry = detail::narrowing_geometry<Pad, In>(Kernel, Stride);
        static constexpr std::size_t out_height = geometry.narrow_height, out_width = geometry.narrow_width;
        using input_shape = In;
        using output_shape = Shape<out_height, out_width, Filters>;
        static constexpr std::size_t window = geometry.row_size();
        static constexpr std::size_t pixels = out_height * out_width;
        static constexpr std::size_t kernel_size = window * Filters;
        static constexpr std::size_t parameter_count = kernel_size + (detail::has_bias<UseBias> ? Filters : 0);
        static constexpr bool is_view = false;
        // Forward's products run along the filters, one vector of them at a
        // time, unless there are fewer filters than the narrowest vector holds (4:
        // SSE's, NEON's), which would leave them scalar: then along the windows,
        // with the kernel transposed (one filter's kernel is its own transpose).
        // A block's windows are read from the L1 cache, so even 8 filters, half an
        // AVX-512 vector, run faster along the filters (the 3x3 convolutions of
        // 16 channels into 8: 205 us against 242 for 32 images of 14x14).
        static constexpr bool forward_along_windows = Filters < 4;
        static constexpr std::size_t kernel_copy = forward_along_windows && Filters > 1 ? kernel_size : 0;
        // Forward lays out the windows of a block of pixels at a time, so that its
        // scratch does not grow with the image: blocks of whole 4-row tiles of the
        // products, as many as keep the scratch within 8 KiB (a quarter of a 32 KiB
        // L1 data cache), but at least as many pixels as filters, so that reading
        // the kernel once a block costs no more than the windows do (64 filters
        // over 288-float windows ran 22% slower in blocks of 4); evened out over
        // the image.
        static constexpr std::size_t block_pixels = [] {
            constexpr std::size_t tile = 4, budget = 2048;
            const std::size_t fitting = (budget > kernel_copy ? budget - kernel_copy : 0) / window;
            const std::size_t most = std::max(fitting, Filters + tile - 1) / tile * tile;
            const std::size_t blocks = (pixels + most - 1) / most;
            return std::min(pixels, ((pixels + blocks - 1) / blocks + tile - 1) / tile * tile);
        }();
        static constexpr std::size_t forward_scratch_floats = block_pixels * window + kernel_copy;
        // Backward: one sample's windows, the kernel transposed and its gradient transposed.
        static constexpr std::size_t scratch_floats = pixels * window + 2 * kernel_size;
        static constexpr auto tensors = detail::kernel_and_bias<UseBias>(
            {"kernel", 0, 4, {Kernel, Kernel, channels, Filters}, "weight", TorchAxes::channels_first}, Filters);

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            detail::describe_window(text, Act::name, geometry);
        }

        static void fold_channel_affine(const float* params, const float* scale, const float* shift, float* folded) {
            detail::fold_channel_affine<UseBias>(params, kernel_size, Filters, scale, shift, folded);
        }

        static void initialize(float* params, Random& random) {
            glorot_uniform(params, kernel_size, window, Kernel * Kernel * Filters, random);
            std::fill(params + kernel_size, params + parameter_count, 0.0f);
        }

        // With at most half a vector of filters, backward's products run along the
        // windows rather than along the filters, with the kernel transposed.
        template <class Arch>
        static constexpr bool few_filters = Filters * 2 <= kernels::lanes<Arch>;

        // Forward, and backward's input gradient, straight from the images where
        // the channels fill whole vectors (window_dots, window_input_gradient).
        template <class Arch>
        static constexpr bool along_channels =
            forward_along_windows && kernels::direct_along_channels<Arch, geometry>;

        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch) {
            float* windows = scratch;
            const float* kernel_transposed = params;
            if constexpr (kernel_copy > 0) {
                kernels::transpose(params, window, Filters, windows + block_pixels * window);
                kernel_transposed = windows + block_pixels * window;
            }
            // The last block ends at the image's last pixel, overlapping the one
            // before it, so every block has block_pixels pixels. (A pixel of the
            // overlap is written twice, the second time by the same block
            // wherever it runs.)
            for (std::size_t s = 0; s < rows; ++s) {
                if constexpr (along_channels<Arch>) {
                    kernels::window_dots<Arch, geometry, Filters>(x + s * In::size, kernel_transposed,
                                                                  y + s * output_shape::size);
                } else {
                    for (std::size_t next = 0; next < pixels; next += block_pixels)
                        forward_block<Arch>(params, kernel_transposed, x + s * In::size,
                                            std::min(next, pixels - block_pixels), windows, y + s * output_shape::size);
                }
            }
            detail::add_bias_and_activate<Arch, Act, UseBias>(y, params + kernel_size, rows * pixels, Filters);
        }

        // One block's windows and their product, compiled as one function with
        // the product's sizes as constants (flatten: whatever the compiler's
        // budget for the rest of the program; called per block, the product as
        // GCC chose to compile it moved the denoiser's training step by 3%).
        template <class Arch>
        [[gnu::flatten]] static void forward_block(const float* params, const float* kernel_transposed,
                                                   const float* x_s, std::size_t first, float* windows, float* y_s) {
            kernels::im2col<geometry>(x_s, first, block_pixels, windows);
            if constexpr (forward_along_windows)
                kernels::matmul_dot<Arch>(block_pixels, Filters, window, windows, window, kernel_transposed, window,
                                          y_s + first * Filters, Filters, false);
            else
                kernels::matmul_broadcast<Arch>(block_pixels, Filters, window, {windows, window, 1}, params, Filters,
                                                y_s + first * Filters, Filters, false);
        }

        template <class Arch>
        static void backward(const float* params, const float* x, const float* y, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float* scratch) {
            kernels::activation_backward<Arch, Act>(dy, y, dy, rows * output_shape::size);
            detail::write_bias_gradient<Arch, UseBias>(dy, rows * pixels, Filters, grad_params + kernel_size);
            float* windows = scratch;
            float* kernel_transposed = windows + pixels * window;
            float* grad_kernel_transposed = kernel_transposed + kernel_size;
            if (dx) {
                kernels::transpose(params, window, Filters, kernel_transposed);
                if constexpr (!along_channels<Arch>) std::fill_n(dx, rows * In::size, 0.0f);
            }
            for (std::size_t s = 0; s < rows; ++s) {
                const float* dy_s = dy + s * output_shape::size;
                const float* x_s = x + s * In::size;
                if constexpr (few_filters<Arch> && kernels::direct_along_channels<Arch, geometry>) {
                    // dW^T += dy^T windows, the windows read where they are
                    kernels::window_gradient<Arch, geometry, Filters>(x_s, dy_s, grad_kernel_transposed, s > 0);
                } else {
                    kernels::im2col<geometry>(x_s, 0, pixels, windows);
                    if constexpr (few_filters<Arch>)  // dW^T += dy^T windows, vectorized along the windows
                        kernels::matmul_broadcast<Arch>(Filters, window, pixels, {dy_s, 1, Filters}, windows, window,
                                                        grad_kernel_transposed, window, s > 0);
                    else  // dW += windows^T dy, vectorized along the filters
                        kernels::matmul_broadcast<Arch>(window, Filters, pixels, {windows, 1, window}, dy_s, Filters,
                                                        grad_params, Filters, s > 0);
                }
                if (!dx) continue;
                if constexpr (along_channels<Arch>)
                    kernels::window_input_gradient<Arch, geometry, Filters>(dy_s, kernel_transposed, dx + s * In::size);
                else
                    kernels::scatter_product<Arch, geometry, Filters>(dy_s, kernel_transposed, dx + s * In::size);
            }
            if constexpr (few_filters<Arch>) kernels::transpose(grad_kernel_transposed, Filters, window, grad_params);
        }
    };
};

template <std::size_t Filters, std::size_t Kernel, std::size_t Stride = 1, Padding Pad = Valid,
          ActivationFunction Act = Linear, BiasChoice UseBias = Bias>
struct Conv2DTranspose {
    static_assert(Filters > 0 && Kernel > 0 && Stride > 0,
                  "typenet: Conv2DTranspose needs positive filters, kernel and stride");
    using activation = Act;
    template <ActivationFunction Other>
    using with_activation = Conv2DTranspose<Filters, Kernel, Stride, Pad, Other, UseBias>;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::rank == 3;
        static_assert(value, "typenet: Conv2DTranspose expects (height, width, channels); add Reshape<h, w, c> before it");
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Conv2DTranspose";
        static constexpr std::size_t height = In::dims[0], width = In::dims[1], channels = In::dims[2];
        static constexpr std::size_t out_height = detail::transposed_output<Pad>(height, Kernel, Stride);
        static constexpr std::size_t out_width = detail::transposed_output<Pad>(width, Kernel, Stride);
        using input_shape = In;
        using output_shape = Shape<out_height, out_width, Filters>;
        // The convolution this one transposes runs from the output (wide) back to the input (narrow).
        static constexpr kernels::WindowGeometry geometry{
            out_height, out_width, height, width, Kernel, Stride,
            detail::pad_before<Pad>(out_height, height, Kernel, Stride),
            detail::pad_before<Pad>(out_width, width, Kernel, Stride), Filters};
        static constexpr std::size_t window = geometry.row_size();
        static constexpr std::size_t pixels = height * width;
        static constexpr std::size_t kernel_size = window * channels;
        static constexpr std::size_t parameter_count = kernel_size + (detail::has_bias<UseBias> ? Filters : 0);
        static constexpr bool is_view = false;
        // Forward spreads each input pixel with the kernel transposed; backward
        // also needs its gradient transposed, and one sample's window gradients.
        static constexpr std::size_t forward_scratch_floats = kernel_size;
        static constexpr std::size_t scratch_floats = 2 * kernel_size + pixels * window;
        static constexpr auto tensors = detail::kernel_and_bias<UseBias>(
            {"kernel", 0, 4, {Kernel, Kernel, Filters, channels}, "weight", TorchAxes::channels_first}, Filters);

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            detail::describe_window(text, Act::name, geometry);
        }

        static void initialize(float* params, Random& random) {
            glorot_uniform(params, kernel_size, Kernel * Kernel * Filters, Kernel * Kernel * channels, random);
            std::fill(params + kernel_size, params + parameter_count, 0.0f);
        }

        template <class Arch>
        static void forward(const float* params, const float* x, float* y, std::size_t rows, float* scratch) {
            float* kernel_transposed = scratch;
            kernels::transpose(params, window, channels, kernel_transposed);
            std::fill_n(y, rows * output_shape::size, 0.0f);
            for (std::size_t s = 0; s < rows; ++s)
                kernels::scatter_product<Arch, geometry, channels>(x + s * In::size, kernel_transposed,
                                                                   y + s * output_shape::size);
            detail::add_bias_and_activate<Arch, Act, UseBias>(y, params + kernel_size, rows * out_height * out_width,
                                                              Filters);
        }

        // With at most half a vector of input channels, the products run along the
        // windows rather than along the channels, with the kernel transposed.
        template <class Arch>
        static constexpr bool few_channels = channels * 2 <= kernels::lanes<Arch>;

        template <class Arch>
        static void backward(const float* params, const float* x, const float* y, float* dy, float* dx,
                             float* grad_params, std::size_t rows, float* scratch) {
            kernels::activation_backward<Arch, Act>(dy, y, dy, rows * output_shape::size);
            detail::write_bias_gradient<Arch, UseBias>(dy, rows * out_height * out_width, Filters,
                                                       grad_params + kernel_size);
            float* kernel_transposed = scratch;
            float* grad_kernel_transposed = kernel_transposed + kernel_size;
            float* grad_windows = grad_kernel_transposed + kernel_size;
            if constexpr (few_channels<Arch>) kernels::transpose(params, window, channels, kernel_transposed);
            for (std::size_t s = 0; s < rows; ++s) {
                const float* x_s = x + s * In::size;
                kernels::im2col<geometry>(dy + s * output_shape::size, 0, pixels, grad_windows);
                if constexpr (few_channels<Arch>) {
                    // dW^T += x^T grad_windows; dx = grad_windows W
                    kernels::matmul_broadcast<Arch>(channels, window, pixels, {x_s, 1, channels}, grad_windows, window,
                                                    grad_kernel_transposed, window, s > 0);
                    if (dx)
                        kernels::matmul_dot<Arch>(pixels, channels, window, grad_windows, window, kernel_transposed,
                                                  window, dx + s * In::size, channels, false);
                } else {
                    // dW += grad_windows^T x; dx = grad_windows W
                    kernels::matmul_broadcast<Arch>(window, channels, pixels, {grad_windows, 1, window}, x_s, channels,
                                                    grad_params, channels, s > 0);
                    if (dx)
                        kernels::matmul_broadcast<Arch>(pixels, channels, window, {grad_windows, window, 1}, params,
                                                        channels, dx + s * In::size, channels, false);
                }
            }
            if constexpr (few_channels<Arch>) kernels::transpose(grad_kernel_transposed, channels, window, grad_params);
        }
    };
};

}  // namespace typenet
