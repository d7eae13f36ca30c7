#pragma once
// A model's architecture as text, one line per layer, written by the compiler
// from the type list:
//   0 Conv2D relu k3 s2 pad(0,0) (28,28,1) -> (14,14,16) kernel(3,3,1,16) bias(16)
//   1 Flatten (7,7,8) -> (392)
// (index, kind, activation, window geometry, input -> output shape as Keras
// writes it, then each tensor with its dims). The text names everything that
// decides what the parameters mean, so two models with the same text can
// exchange parameters; its FNV-1a hash is the signature a model file is keyed to.
// How the layers are grouped into named parts does not enter: it changes no
// computation.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

// One tensor of a model: a layer's TensorInfo and where it starts in the
// model's parameters() block (which pads between layers; the tensors do not).
struct ModelTensor {
    std::size_t layer;
    TensorInfo info;
    std::size_t parameter_offset;
};

namespace detail {

// The text is produced twice at compile time by the same code: once into a
// counter for its length, then into an array of exactly that length.
struct TextLength {
    std::size_t size = 0;
    constexpr void append(std::string_view text) { size += text.size(); }
};

template <std::size_t Capacity>
struct FixedText {
    std::array<char, Capacity> chars{};
    std::size_t size = 0;
    constexpr void append(std::string_view text) {
        for (const char c : text) chars[size++] = c;
    }
    constexpr std::string_view view() const { return {chars.data(), size}; }
};

template <class Text>
constexpr void append_number(Text& text, std::size_t number) {
    char digits[20]{};
    std::size_t first = sizeof digits;
    do {
        digits[--first] = static_cast<char>('0' + number % 10);
        number /= 10;
    } while (number != 0);
    text.append({digits + first, sizeof digits - first});
}

template <class Text, class Dims>
constexpr void append_dims(Text& text, const Dims& dims, std::size_t rank) {
    text.append("(");
    for (std::size_t i = 0; i < rank; ++i) {
        if (i > 0) text.append(",");
        append_number(text, dims[i]);
    }
    text.append(")");
}

template <class M, std::size_t I, class Text>
constexpr void describe_layer(Text& text) {
    using Layer = type_at<I, typename M::graph::layer_list>;
    using B = typename M::graph::template bound<I>;
    append_number(text, I);
    text.append(" ");
    text.append(B::kind);
    if constexpr (requires { typename Layer::activation; }) {
        text.append(" ");
        text.append(Layer::activation::name);
    }
    // Kernel, stride and the padding before the first row and column fix which
    // input pixels each output sees: the padding rule's name is not needed.
    if constexpr (requires { B::geometry; }) {
        text.append(" k");
        append_number(text, B::geometry.kernel);
        text.append(" s");
        append_number(text, B::geometry.stride);
        text.append(" pad(");
        append_number(text, B::geometry.pad_top);
        text.append(",");
        append_number(text, B::geometry.pad_left);
        text.append(")");
    }
    text.append(" ");
    append_dims(text, B::input_shape::dims, B::input_shape::rank);
    text.append(" -> ");
    append_dims(text, B::output_shape::dims, B::output_shape::rank);
    for (const TensorInfo& tensor : B::tensors) {
        text.append(" ");
        text.append(tensor.name);
        append_dims(text, tensor.dims, tensor.rank);
    }
    text.append("\n");
}

template <class M, class Text>
constexpr void describe_model(Text& text) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (describe_layer<M, I>(text), ...);
    }(std::make_index_sequence<M::layer_count>{});
}

template <class M>
inline constexpr auto architecture_text = [] {
    constexpr std::size_t length = [] {
        TextLength counter;
        describe_model<M>(counter);
        return counter.size;
    }();
    FixedText<length> text;
    describe_model<M>(text);
    return text;
}();

}  // namespace detail

// 64-bit FNV-1a: small, constexpr, and the same on every platform.
constexpr std::uint64_t fnv1a_64(std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

template <class M>
std::string architecture() {
    return std::string(detail::architecture_text<M>.view());
}

template <class M>
constexpr std::uint64_t architecture_signature() {
    return fnv1a_64(detail::architecture_text<M>.view());
}

namespace detail {

template <class M, std::size_t I, std::size_t Count>
constexpr void collect_tensors(std::array<ModelTensor, Count>& tensors, std::size_t& next) {
    using graph = typename M::graph;
    for (const TensorInfo& info : graph::template bound<I>::tensors)
        tensors[next++] = {I, info, graph::parameter_offsets[I] + info.offset};
}

}  // namespace detail

// Every tensor of every layer, in layer order.
template <class M>
inline constexpr auto model_tensors = [] {
    using graph = typename M::graph;
    constexpr std::size_t count = []<std::size_t... I>(std::index_sequence<I...>) {
        return (std::size_t{0} + ... + graph::template bound<I>::tensors.size());
    }(std::make_index_sequence<graph::layer_count>{});
    std::array<ModelTensor, count> tensors{};
    std::size_t next = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (detail::collect_tensors<M, I>(tensors, next), ...);
    }(std::make_index_sequence<graph::layer_count>{});
    return tensors;
}();

}  // namespace typenet::io
