#pragma once
// Pooling and nearest upsampling of channels-last images, one sample at a
// time. Every pixel's channels are contiguous, so each kernel works on a
// vector of channels at once: whole registers, then the narrower instruction
// set's, then single floats. The window geometry is convolution.hpp's (wide:
// the pooling's input, narrow: its output, kernel: the pool); cells outside
// the image are skipped, so they never win a max and are not counted in an
// average, as TensorFlow has it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/convolution.hpp"
#include "typenet/kernels/simd.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::kernels {

// Channels at a time: a register of Arch, or one float when Arch is void.
template <class Arch>
struct ChannelVector {
    using value = floats<Arch>;
    using mask = simd::batch_bool<float, Arch>;
    static constexpr std::size_t width = lanes<Arch>;
    static value load(const float* p) { return value::load_unaligned(p); }
    static void store(value v, float* p) { v.store_unaligned(p); }
    static value max(value a, value b) { return simd::max(a, b); }
    static mask all() { return mask(true); }
    // grad where x is the max and no earlier cell of the window was; claims those lanes.
    static value claim(mask& unclaimed, value x, value max, value grad) {
        const mask hit = (x == max) & unclaimed;
        unclaimed = unclaimed & !hit;
        return simd::select(hit, grad, value(0.0f));
    }
};
template <>
struct ChannelVector<void> {
    using value = float;
    using mask = bool;
    static constexpr std::size_t width = 1;
    static value load(const float* p) { return *p; }
    static void store(value v, float* p) { *p = v; }
    static value max(value a, value b) { return a < b ? b : a; }
    static mask all() { return true; }
    static value claim(mask& unclaimed, value x, value max, value grad) {
        const bool hit = unclaimed && x == max;
        unclaimed = unclaimed && !hit;
        return hit ? grad : 0.0f;
    }
};

// body(ChannelVector<A>{}, c) for the vectors that cover channels [From, C).
template <class Arch, std::size_t C, std::size_t From = 0, class Body>
inline void for_channel_vectors(Body&& body) {
    if constexpr (From < C) {
        if constexpr (std::is_void_v<Arch>) {
            for (std::size_t c = From; c < C; ++c) body(ChannelVector<void>{}, c);
        } else {
            constexpr std::size_t end = From + vector_part<Arch>(C - From);
            for (std::size_t c = From; c < end; c += lanes<Arch>) body(ChannelVector<Arch>{}, c);
            for_channel_vectors<narrower_t<Arch>, C, end>(body);
        }
    }
}

// The wide image's rows [top, bottom) and columns [left, right) that narrow pixel (oy, ox) sees.
struct Window {
    std::size_t top, bottom, left, right;
    constexpr std::size_t cells() const { return (bottom - top) * (right - left); }
    // visit(at) for each cell in row-major order, at its first float in an image of width x channels.
    template <std::size_t width, std::size_t channels, class Visit>
    void for_each_cell(Visit&& visit) const {
        for (std::size_t iy = top; iy < bottom; ++iy)
            for (std::size_t ix = left; ix < right; ++ix) visit((iy * width + ix) * channels);
    }
};
template <WindowGeometry g>
constexpr Window window_of(std::size_t oy, std::size_t ox) {
    const auto clip = [](std::size_t start, std::size_t pad, std::size_t size) {
        const std::size_t begin = start > pad ? start - pad : 0;
        const std::size_t end = start + g.kernel > pad ? std::min(start + g.kernel - pad, size) : 0;
        return std::array<std::size_t, 2>{begin, std::max(begin, end)};
    };
    const auto [top, bottom] = clip(oy * g.stride, g.pad_top, g.wide_height);
    const auto [left, right] = clip(ox * g.stride, g.pad_left, g.wide_width);
    return {top, bottom, left, right};
}

// narrow = the largest of each window.
template <class Arch, WindowGeometry g>
void max_pool(const float* wide, float* narrow) {
    constexpr std::size_t C = g.channels;
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
            const Window w = window_of<g>(oy, ox);
            const float* first = wide + (w.top * g.wide_width + w.left) * C;
            for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
                using L = decltype(lane);
                typename L::value best = L::load(first + c);
                w.for_each_cell<g.wide_width, C>([&](std::size_t at) { best = L::max(best, L::load(wide + at + c)); });
                L::store(best, narrow + (oy * g.narrow_width + ox) * C + c);
            });
        }
}

// d_wide = each window's gradient sent whole to the first cell, in row-major
// order, that holds its max (PyTorch's and TensorFlow's rule for ties).
template <class Arch, WindowGeometry g>
void max_pool_backward(const float* wide, const float* narrow, const float* d_narrow, float* d_wide) {
    constexpr std::size_t C = g.channels;
    std::fill_n(d_wide, g.wide_height * g.wide_width * C, 0.0f);
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
            const Window w = window_of<g>(oy, ox);
            const std::size_t at = (oy * g.narrow_width + ox) * C;
            for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
                using L = decltype(lane);
                const typename L::value best = L::load(narrow + at + c), grad = L::load(d_narrow + at + c);
                typename L::mask unclaimed = L::all();
                w.for_each_cell<g.wide_width, C>([&](std::size_t cell) {
                    float* d = d_wide + cell + c;
                    L::store(L::load(d) + L::claim(unclaimed, L::load(wide + cell + c), best, grad), d);
                });
            });
        }
}

// narrow = the mean of each window's cells inside the image.
template <class Arch, WindowGeometry g>
void average_pool(const float* wide, float* narrow) {
    constexpr std::size_t C = g.channels;
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
            const Window w = window_of<g>(oy, ox);
            const float scale = 1.0f / static_cast<float>(w.cells());
            for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
                using L = decltype(lane);
                typename L::value sum(0.0f);
                w.for_each_cell<g.wide_width, C>([&](std::size_t at) { sum += L::load(wide + at + c); });
                L::store(sum * typename L::value(scale), narrow + (oy * g.narrow_width + ox) * C + c);
            });
        }
}

template <class Arch, WindowGeometry g>
void average_pool_backward(const float* d_narrow, float* d_wide) {
    constexpr std::size_t C = g.channels;
    std::fill_n(d_wide, g.wide_height * g.wide_width * C, 0.0f);
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox) {
            const Window w = window_of<g>(oy, ox);
            const float scale = 1.0f / static_cast<float>(w.cells());
            for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
                using L = decltype(lane);
                const auto share = L::load(d_narrow + (oy * g.narrow_width + ox) * C + c) * typename L::value(scale);
                w.for_each_cell<g.wide_width, C>([&](std::size_t at) { L::store(L::load(d_wide + at + c) + share, d_wide + at + c); });
            });
        }
}

// Pooling over all of an image's pixels: the max or the mean of each channel.
template <class Arch, std::size_t Pixels, std::size_t C>
void global_max_pool(const float* image, float* channels) {
    for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
        using L = decltype(lane);
        typename L::value best = L::load(image + c);
        for (std::size_t p = 1; p < Pixels; ++p) best = L::max(best, L::load(image + p * C + c));
        L::store(best, channels + c);
    });
}
template <class Arch, std::size_t Pixels, std::size_t C>
void global_max_pool_backward(const float* image, const float* channels, const float* d_channels, float* d_image) {
    for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
        using L = decltype(lane);
        const typename L::value best = L::load(channels + c), grad = L::load(d_channels + c);
        typename L::mask unclaimed = L::all();
        for (std::size_t p = 0; p < Pixels; ++p)
            L::store(L::claim(unclaimed, L::load(image + p * C + c), best, grad), d_image + p * C + c);
    });
}
template <class Arch, std::size_t Pixels, std::size_t C>
void global_average_pool(const float* image, float* channels) {
    for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
        using L = decltype(lane);
        typename L::value sum(0.0f);
        for (std::size_t p = 0; p < Pixels; ++p) sum += L::load(image + p * C + c);
        L::store(sum * typename L::value(1.0f / Pixels), channels + c);
    });
}
template <class Arch, std::size_t Pixels, std::size_t C>
void global_average_pool_backward(const float* d_channels, float* d_image) {
    for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
        using L = decltype(lane);
        const auto share = L::load(d_channels + c) * typename L::value(1.0f / Pixels);
        for (std::size_t p = 0; p < Pixels; ++p) L::store(share, d_image + p * C + c);
    });
}

// Nearest upsampling by Size along both axes: every pixel becomes a Size x
// Size block of copies. Backward sums each block's gradients.
template <class Arch, std::size_t Height, std::size_t Width, std::size_t C, std::size_t Size>
void upsample_nearest(const float* image, float* large) {
    constexpr std::size_t large_row = Width * Size * C;
    for (std::size_t y = 0; y < Height; ++y) {
        float* row = large + y * Size * large_row;
        for (std::size_t x = 0; x < Width; ++x)
            for (std::size_t k = 0; k < Size; ++k)
                std::copy_n(image + (y * Width + x) * C, C, row + (x * Size + k) * C);
        for (std::size_t k = 1; k < Size; ++k) std::copy_n(row, large_row, row + k * large_row);
    }
}
template <class Arch, std::size_t Height, std::size_t Width, std::size_t C, std::size_t Size>
void upsample_nearest_backward(const float* d_large, float* d_image) {
    constexpr std::size_t large_width = Width * Size;
    for (std::size_t y = 0; y < Height; ++y)
        for (std::size_t x = 0; x < Width; ++x)
            for_channel_vectors<Arch, C>([&](auto lane, std::size_t c) {
                using L = decltype(lane);
                typename L::value sum(0.0f);
                for (std::size_t ky = 0; ky < Size; ++ky)
                    for (std::size_t kx = 0; kx < Size; ++kx)
                        sum += L::load(d_large + ((y * Size + ky) * large_width + x * Size + kx) * C + c);
                L::store(sum, d_image + (y * Width + x) * C + c);
            });
}

namespace reference {

// The plain forms of the above, for the tests: every window cell visited, the
// ones outside the image skipped; a max's gradient to its first maximum.
inline void pool(const WindowGeometry& g, bool max, const float* wide, float* narrow) {
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox)
            for (std::size_t c = 0; c < g.channels; ++c) {
                double sum = 0.0;
                float best = 0.0f;
                std::size_t cells = 0;
                for (std::size_t ky = 0; ky < g.kernel; ++ky)
                    for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                        const std::ptrdiff_t at = wide_cell(g, oy, ox, ky, kx);
                        if (at < 0) continue;
                        const float v = wide[at + std::ptrdiff_t(c)];
                        best = cells == 0 || v > best ? v : best;
                        sum += v;
                        ++cells;
                    }
                narrow[(oy * g.narrow_width + ox) * g.channels + c] =
                    max ? best : static_cast<float>(sum / static_cast<double>(cells));
            }
}

inline void max_pool_backward(const WindowGeometry& g, const float* wide, const float* d_narrow, float* d_wide) {
    std::fill_n(d_wide, g.wide_height * g.wide_width * g.channels, 0.0f);
    for (std::size_t oy = 0; oy < g.narrow_height; ++oy)
        for (std::size_t ox = 0; ox < g.narrow_width; ++ox)
            for (std::size_t c = 0; c < g.channels; ++c) {
                std::ptrdiff_t winner = -1;
                for (std::size_t ky = 0; ky < g.kernel; ++ky)
                    for (std::size_t kx = 0; kx < g.kernel; ++kx) {
                        const std::ptrdiff_t cell = wide_cell(g, oy, ox, ky, kx);
                        if (cell < 0) continue;
                        const std::ptrdiff_t at = cell + std::ptrdiff_t(c);
                        if (winner < 0 || wide[at] > wide[winner]) winner = at;
                    }
                d_wide[winner] += d_narrow[(oy * g.narrow_width + ox) * g.channels + c];
            }
}

}  // namespace reference
}  // namespace typenet::kernels
