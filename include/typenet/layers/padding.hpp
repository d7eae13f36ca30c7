#pragma once
// Keras's two padding rules, shared by the convolutions and the poolings, and
// the window geometry they give along a layer from its input (wide) to its
// output (narrow).
#include <concepts>
#include <cstddef>
#include <type_traits>

#include "typenet/compile_time_text.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/convolution.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Output size ceil(in / stride); the padding needed for that is split with
// the smaller half before, as TensorFlow does.
struct Same {};
// No padding: only windows that fit wholly inside the input.
struct Valid {};

template <class P>
concept Padding = std::same_as<P, Same> || std::same_as<P, Valid>;

namespace detail {

// One axis of a window from wide (its input) to narrow (its output).
template <class P>
constexpr std::size_t conv_output(std::size_t in, std::size_t kernel, std::size_t stride) {
    if constexpr (std::is_same_v<P, Same>) return (in + stride - 1) / stride;
    else return in >= kernel ? (in - kernel) / stride + 1 : 0;
}
// Padding before the first wide pixel, for a window geometry from wide to narrow.
template <class P>
constexpr std::size_t pad_before(std::size_t wide, std::size_t narrow, std::size_t kernel, std::size_t stride) {
    if constexpr (std::is_same_v<P, Valid>) return 0;
    const std::size_t reach = (narrow - 1) * stride + kernel;
    return reach > wide ? (reach - wide) / 2 : 0;
}

// The windows of a layer that reads In (height, width, channels) through
// kernel x kernel windows moved by stride, padded by P.
template <class P, class In>
constexpr kernels::WindowGeometry narrowing_geometry(std::size_t kernel, std::size_t stride) {
    const std::size_t height = In::dims[0], width = In::dims[1];
    const std::size_t out_height = conv_output<P>(height, kernel, stride), out_width = conv_output<P>(width, kernel, stride);
    return {height, width, out_height, out_width, kernel, stride, pad_before<P>(height, out_height, kernel, stride),
            pad_before<P>(width, out_width, kernel, stride), In::dims[2]};
}

// The architecture words of a window: kernel, stride and the padding before
// the first row and column fix which input pixels each output sees, so the
// padding rule's name is not needed ("k3 s2 pad(0,0)").
template <class Text>
constexpr void describe_geometry(Text& text, const kernels::WindowGeometry& geometry) {
    text.append("k");
    append_number(text, geometry.kernel);
    text.append(" s");
    append_number(text, geometry.stride);
    text.append(" pad(");
    append_number(text, geometry.pad_top);
    text.append(",");
    append_number(text, geometry.pad_left);
    text.append(")");
}

}  // namespace detail
}  // namespace typenet
