#pragma once
// A model's architecture as text, one line per layer, written by the compiler
// from the type list:
//   0 Conv2D relu k3 s2 pad(0,0) (28,28,1) -> (14,14,16) kernel(3,3,1,16) bias(16)
//   1 Flatten (7,7,8) -> (392)
// (index, kind, the words the layer's describe_settings writes: its
// activation, window geometry and any other setting that changes what it
// computes; input -> output shape as Keras writes it, then each tensor with
// its dims). The text names everything that
// decides what the parameters mean, so two models with the same text can
// exchange parameters; its FNV-1a hash is the signature a model file is keyed to.
// How the layers are grouped into named parts does not enter: it changes no
// computation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "typenet/compile_time_text.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE::io {

namespace detail {

template <class M, std::size_t I, class Text>
constexpr void describe_layer(Text& text) {
    using B = typename M::graph::template bound<I>;
    append_number(text, I);
    text.append(" ");
    text.append(B::kind);
    if constexpr (requires { B::describe_settings(text); }) {
        text.append(" ");
        B::describe_settings(text);
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
struct ModelDescription {
    template <class Text>
    static constexpr void write(Text& text) {
        describe_model<M>(text);
    }
};

template <class M>
inline constexpr auto architecture_text = constant_text<ModelDescription<M>>;

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

}  // namespace typenet::io
