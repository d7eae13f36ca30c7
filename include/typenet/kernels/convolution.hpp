#pragma once
// Convolutions as matrix products. A window geometry relates a "wide" image
// (a convolution's input, a transposed convolution's output) to a "narrow"
// one (the other side): narrow pixel (oy, ox) sees wide pixels
// (oy*stride + ky - pad_top, ox*stride + kx - pad_left), ky, kx < kernel.
// im2col lays those windows out as rows, (ky, kx, channel) along each row as
// Keras orders its kernels; scatter_product spreads rows back over the image.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

struct WindowGeometry {
    std::size_t wide_height, wide_width;
    std::size_t narrow_height, narrow_width;
    std::size_t kernel, stride, pad_top, pad_left;
    std::size_t channels;  // of the wide image

    constexpr std::size_t row_size() const { return kernel * kernel * channels; }
    constexpr std::size_t rows() const { return narrow_height * narrow_width; }
};

// The geometry is a template argument so that every loop bound is a constant.

// For narrow pixels first .. first + count - 1 (row-major: the whole image is
// 0 .. g.rows() - 1), their windows of the wide image (zeros outside it), one
// row each. A window's row inside the image is one run of kernel x channels
// floats, copied at once.
template <WindowGeometry g>
void im2col(const float* wide, std::size_t first, std::size_t count, float* columns) {
    constexpr std::size_t c = g.channels, run = g.kernel * c;
    float* row = columns;
    const std::size_t end = first + count;
    for (std::size_t oy = first / g.narrow_width; oy * g.narrow_width < end; ++oy) {
        const std::size_t ox_end = std::min(g.narrow_width, end - oy * g.narrow_width);
        for (std::size_t ox = oy * g.narrow_width < first ? first % g.narrow_width : 0; ox < ox_end; ++ox) {
            const std::ptrdiff_t left = std::ptrdiff_t(ox * g.stride) - std::ptrdiff_t(g.pad_left);
            const bool whole_runs = left >= 0 && left + std::ptrdiff_t(g.kernel) <= std::ptrdiff_t(g.wide_width);
            for (std::size_t ky = 0; ky < g.kernel; ++ky, row += run) {
                const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.stride + ky) - std::ptrdiff_t(g.pad_top);
                if (iy < 0 || iy >= std::ptrdiff_t(g.wide_height)) {
                    std::fill_n(row, run, 0.0f);
                    continue;
                }
                const float* wide_row = wide + std::size_t(iy) * g.wide_width * c;
                if (whole_runs) {
                    std::memcpy(row, wide_row + std::size_t(left) * c, run * sizeof(float));
                    continue;
                }
                for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                    const std::ptrdiff_t ix = left + std::ptrdiff_t(kx);
                    if (ix < 0 || ix >= std::ptrdiff_t(g.wide_width)) std::fill_n(row + kx * c, c, 0.0f);
                    else std::memcpy(row + kx * c, wide_row + std::size_t(ix) * c, c * sizeof(float));
                }
            }
        }
    }
}

// A product and its spreading over the image in one pass: for every narrow pixel p and kernel tap t,
// wide[pixel(p, t)] += sum over k < K of narrow[p][k] * spread[k][t]. With spread
// the kernel transposed, this is a transposed convolution (K = its input
// channels) or a convolution's input gradient (K = its filters).
template <class Arch, WindowGeometry g, std::size_t K>
void scatter_product(const float* narrow, const float* spread, float* wide) {
    constexpr std::size_t c = g.channels;
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
            const float* coefficients = narrow + (oy * g.narrow_width + ox) * K;
            for (std::size_t ky = 0; ky < g.kernel; ++ky) {
                const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.stride + ky) - std::ptrdiff_t(g.pad_top);
                if (iy < 0 || iy >= std::ptrdiff_t(g.wide_height)) continue;
                for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                    const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.stride + kx) - std::ptrdiff_t(g.pad_left);
                    if (ix < 0 || ix >= std::ptrdiff_t(g.wide_width)) continue;
                    add_combination<Arch, c, K>(wide + (std::size_t(iy) * g.wide_width + std::size_t(ix)) * c,
                                                coefficients, spread + (ky * g.kernel + kx) * c, g.row_size());
                }
            }
        }
}

// A convolution of few filters over channels that fill whole vectors (the
// denoiser's last, 16 channels into one filter), computed where the channels
// are rather than through im2col: each narrow pixel's taps are read straight
// from the wide image, a vector of channels at a time, so that per pixel and
// tap there is one load and one FMA, and no window is written or read again.
// (Through im2col and dot products that layer's forward took 348 µs for 32
// images, its backward 545 µs, on Zen 4; now 106 and 184 µs.)
template <class Arch, WindowGeometry g>
constexpr bool direct_along_channels = g.channels % lanes<Arch> == 0;

namespace detail {

// Calls tap(t, wide_offset) for each tap t of narrow pixel (oy, ox) inside the
// wide image, in (ky, kx) order, with the offset of its first channel.
template <WindowGeometry g, class Tap>
[[gnu::always_inline]] inline void for_each_tap(std::size_t oy, std::size_t ox, Tap tap) {
    const std::ptrdiff_t top = std::ptrdiff_t(oy * g.stride) - std::ptrdiff_t(g.pad_top);
    const std::ptrdiff_t left = std::ptrdiff_t(ox * g.stride) - std::ptrdiff_t(g.pad_left);
    const bool inside = top >= 0 && left >= 0 && top + std::ptrdiff_t(g.kernel) <= std::ptrdiff_t(g.wide_height) &&
                        left + std::ptrdiff_t(g.kernel) <= std::ptrdiff_t(g.wide_width);
    const std::size_t corner = (std::size_t(top) * g.wide_width + std::size_t(left)) * g.channels;
    if (inside) {  // most pixels: every tap at a constant offset from the corner
        TYPENET_UNROLL
        for (std::size_t ky = 0; ky < g.kernel; ++ky)
            TYPENET_UNROLL
            for (std::size_t kx = 0; kx < g.kernel; ++kx)
                tap(ky * g.kernel + kx, corner + (ky * g.wide_width + kx) * g.channels);
        return;
    }
    for (std::size_t ky = 0; ky < g.kernel; ++ky) {
        const std::ptrdiff_t iy = top + std::ptrdiff_t(ky);
        if (iy < 0 || iy >= std::ptrdiff_t(g.wide_height)) continue;
        for (std::size_t kx = 0; kx < g.kernel; ++kx) {
            const std::ptrdiff_t ix = left + std::ptrdiff_t(kx);
            if (ix < 0 || ix >= std::ptrdiff_t(g.wide_width)) continue;
            tap(ky * g.kernel + kx, (std::size_t(iy) * g.wide_width + std::size_t(ix)) * g.channels);
        }
    }
}

}  // namespace detail

// narrow[p][f] = sum over the taps t of p and channels c of wide[pixel(p, t)][c] * kernel_t[f][t][c],
// for F filters (kernel_t: the kernel transposed, one filter's window a row).
// Each pixel's sum is a vector of partial sums; lanes<Arch> pixels' vectors are
// reduced together (a last, partial group repeats its last pixel).
template <class Arch, WindowGeometry g, std::size_t F>
void window_dots(const float* wide, const float* kernel_t, float* narrow) {
    static_assert(direct_along_channels<Arch, g>);
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>, vectors = g.channels / W, pixels = g.rows();
    for (std::size_t f = 0; f < F; ++f) {
        // The filter's kernel, in registers where they suffice (9 for a 3x3 kernel of 16 channels on AVX-512).
        V kernel[g.kernel * g.kernel][vectors];
        for (std::size_t t = 0; t < g.kernel * g.kernel; ++t)
            for (std::size_t v = 0; v < vectors; ++v)
                kernel[t][v] = V::load_unaligned(kernel_t + f * g.row_size() + t * g.channels + v * W);
        for (std::size_t first = 0; first < pixels; first += W) {
            const std::size_t count = std::min(W, pixels - first);
            V sums[W];
            for (std::size_t r = 0; r < W; ++r) {
                const std::size_t p = first + std::min(r, count - 1);
                // Two chains of FMAs (even and odd taps), so that one pixel's sum waits half as long.
                V acc[2] = {V(0.0f), V(0.0f)};
                detail::for_each_tap<g>(p / g.narrow_width, p % g.narrow_width, [&](std::size_t t, std::size_t at) {
                    TYPENET_UNROLL
                    for (std::size_t v = 0; v < vectors; ++v)
                        acc[t % 2] = simd::fma(V::load_unaligned(wide + at + v * W), kernel[t][v], acc[t % 2]);
                });
                sums[r] = acc[0] + acc[1];
            }
            alignas(64) float dots[W];
            sum_each<Arch>(sums).store_aligned(dots);
            for (std::size_t r = 0; r < count; ++r) narrow[(first + r) * F + f] = dots[r];
        }
    }
}

// The kernel gradient of window_dots, transposed as its kernel:
// grad_t[f][t][c] (+)= sum over the narrow pixels p of narrow[p][f] * wide[pixel(p, t)][c],
// each tap's vectors of channels kept in registers across the pixels.
template <class Arch, WindowGeometry g, std::size_t F>
void window_gradient(const float* wide, const float* narrow, float* grad_t, bool accumulate) {
    static_assert(direct_along_channels<Arch, g>);
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>, vectors = g.channels / W, taps = g.kernel * g.kernel;
    for (std::size_t f = 0; f < F; ++f) {
        V acc[taps][vectors];
        for (auto& tap : acc)
            for (auto& x : tap) x = V(0.0f);
        for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
            for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
                const V d(narrow[(oy * g.narrow_width + ox) * F + f]);
                detail::for_each_tap<g>(oy, ox, [&](std::size_t t, std::size_t at) {
                    TYPENET_UNROLL
                    for (std::size_t v = 0; v < vectors; ++v)
                        acc[t][v] = simd::fma(d, V::load_unaligned(wide + at + v * W), acc[t][v]);
                });
            }
        float* grad = grad_t + f * g.row_size();
        for (std::size_t t = 0; t < taps; ++t)
            for (std::size_t v = 0; v < vectors; ++v) {
                float* at = grad + t * g.channels + v * W;
                (accumulate ? acc[t][v] + V::load_unaligned(at) : acc[t][v]).store_unaligned(at);
            }
    }
}

// The input gradient of window_dots: wide[q][c] = the sum over the narrow
// pixels p and taps t with pixel(p, t) = q, and the filters f, of
// narrow[p][f] * kernel_t[f][t][c]. Gathered for each wide pixel, whose taps
// are read back from the narrow image, rather than spread from each narrow
// pixel (scatter_product), which would read, add to and store every wide pixel
// kernel² times, each time waiting for the store before (the denoiser's last
// layer: 200 of its backward's 318 µs for 32 images on Zen 4).
template <class Arch, WindowGeometry g, std::size_t F>
void window_input_gradient(const float* narrow, const float* kernel_t, float* wide) {
    static_assert(direct_along_channels<Arch, g>);
    using V = floats<Arch>;
    constexpr std::size_t W = lanes<Arch>, vectors = g.channels / W;
    constexpr auto stride = std::ptrdiff_t(g.stride);
    // The narrow coordinate whose tap k lands on wide coordinate i, or -1.
    auto narrow_of = [](std::size_t i, std::size_t pad, std::size_t k, std::size_t narrow_size) {
        const std::ptrdiff_t at = std::ptrdiff_t(i + pad) - std::ptrdiff_t(k);
        return at < 0 || at % stride != 0 || at / stride >= std::ptrdiff_t(narrow_size) ? -1 : at / stride;
    };
    for (std::size_t iy = 0; iy < g.wide_height; ++iy)
        for (std::size_t ix = 0; ix < g.wide_width; ++ix) {
            V acc[vectors];
            for (auto& x : acc) x = V(0.0f);
            for (std::size_t ky = 0; ky < g.kernel; ++ky) {
                const std::ptrdiff_t oy = narrow_of(iy, g.pad_top, ky, g.narrow_height);
                if (oy < 0) continue;
                for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                    const std::ptrdiff_t ox = narrow_of(ix, g.pad_left, kx, g.narrow_width);
                    if (ox < 0) continue;
                    const float* d = narrow + (std::size_t(oy) * g.narrow_width + std::size_t(ox)) * F;
                    for (std::size_t f = 0; f < F; ++f) {
                        const V coefficient(d[f]);
                        const float* k = kernel_t + f * g.row_size() + (ky * g.kernel + kx) * g.channels;
                        TYPENET_UNROLL
                        for (std::size_t v = 0; v < vectors; ++v)
                            acc[v] = simd::fma(coefficient, V::load_unaligned(k + v * W), acc[v]);
                    }
                }
            }
            float* out = wide + (iy * g.wide_width + ix) * g.channels;
            for (std::size_t v = 0; v < vectors; ++v) acc[v].store_unaligned(out + v * W);
        }
}

// out[j][i] = in[i][j] for a rows x cols matrix.
inline void transpose(const float* in, std::size_t rows, std::size_t cols, float* out) {
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) out[j * rows + i] = in[i * cols + j];
}

namespace reference {

// The first float of the wide pixel that tap (ky, kx) of narrow pixel (oy, ox)
// sees, or -1 where the tap falls on the padding.
inline std::ptrdiff_t wide_cell(const WindowGeometry& g, std::size_t oy, std::size_t ox, std::size_t ky, std::size_t kx) {
    const std::ptrdiff_t iy = std::ptrdiff_t(oy * g.stride + ky) - std::ptrdiff_t(g.pad_top);
    const std::ptrdiff_t ix = std::ptrdiff_t(ox * g.stride + kx) - std::ptrdiff_t(g.pad_left);
    if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(g.wide_height) || ix >= std::ptrdiff_t(g.wide_width)) return -1;
    return (iy * std::ptrdiff_t(g.wide_width) + ix) * std::ptrdiff_t(g.channels);
}

// Direct convolution, Keras's kernel layout (ky, kx, in, out), no bias or activation.
inline void convolution(const WindowGeometry& g, const float* wide, const float* kernel, std::size_t filters,
                        float* narrow) {
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox)
            for (std::size_t f = 0; f < filters; ++f) {
                double sum = 0.0;
                for (std::size_t ky = 0; ky < g.kernel; ++ky)
                    for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                        const std::ptrdiff_t at = wide_cell(g, oy, ox, ky, kx);
                        if (at < 0) continue;
                        for (std::size_t c = 0; c < g.channels; ++c)
                            sum += double(wide[at + std::ptrdiff_t(c)]) *
                                   kernel[((ky * g.kernel + kx) * g.channels + c) * filters + f];
                    }
                narrow[(oy * g.narrow_width + ox) * filters + f] = static_cast<float>(sum);
            }
}

// Direct transposed convolution, Keras's kernel layout (ky, kx, out, in): every
// narrow pixel spreads its window over the wide image.
inline void transposed_convolution(const WindowGeometry& g, const float* narrow, std::size_t in_channels,
                                   const float* kernel, float* wide) {
    std::fill_n(wide, g.wide_height * g.wide_width * g.channels, 0.0f);
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox)
            for (std::size_t ky = 0; ky < g.kernel; ++ky)
                for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                    const std::ptrdiff_t at = wide_cell(g, oy, ox, ky, kx);
                    if (at < 0) continue;
                    for (std::size_t f = 0; f < g.channels; ++f)
                        for (std::size_t c = 0; c < in_channels; ++c)
                            wide[at + std::ptrdiff_t(f)] +=
                                narrow[(oy * g.narrow_width + ox) * in_channels + c] *
                                kernel[((ky * g.kernel + kx) * g.channels + f) * in_channels + c];
                }
}

}  // namespace reference
}  // namespace typenet::kernels
