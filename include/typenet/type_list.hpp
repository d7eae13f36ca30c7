#pragma once
// A network is a flat list of layer types. Sequential<...> groups layers into a
// named part (an encoder, a decoder) without nesting them in the layer list.
#include <cstddef>
#include <type_traits>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <class... Ts>
struct TypeList {
    static constexpr std::size_t size = sizeof...(Ts);
};

template <class... Layers>
struct Sequential {
    using layers = TypeList<Layers...>;
};

// A part made with Sequential (struct Encoder : Sequential<...> {}), as
// opposed to a single layer given as a part of its own.
template <class Part>
concept SequentialPart = requires { typename Part::layers; };

namespace detail {

template <class... Lists>
struct concat;
template <>
struct concat<> {
    using type = TypeList<>;
};
template <class... Ts>
struct concat<TypeList<Ts...>> {
    using type = TypeList<Ts...>;
};
template <class... As, class... Bs, class... Rest>
struct concat<TypeList<As...>, TypeList<Bs...>, Rest...> {
    using type = typename concat<TypeList<As..., Bs...>, Rest...>::type;
};

// A part given as a single layer is a part of one layer.
template <class Part>
struct layers_of {
    using type = TypeList<Part>;
};
template <SequentialPart Part>
struct layers_of<Part> {
    using type = typename Part::layers;
};

template <std::size_t I, class List>
struct at;
template <class T, class... Ts>
struct at<0, TypeList<T, Ts...>> {
    using type = T;
};
template <std::size_t I, class T, class... Ts>
struct at<I, TypeList<T, Ts...>> {
    using type = typename at<I - 1, TypeList<Ts...>>::type;
};

template <class T, class... Ts>
constexpr std::size_t index_of() {
    constexpr bool matches[] = {std::is_same_v<T, Ts>...};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
        if (matches[i]) return i;
    return sizeof...(Ts);
}

// Layers First..Last-1 of a list.
template <std::size_t First, std::size_t Last, class List, class = std::make_index_sequence<Last - First>>
struct slice;
template <std::size_t First, std::size_t Last, class List, std::size_t... I>
struct slice<First, Last, List, std::index_sequence<I...>> {
    using type = TypeList<typename at<First + I, List>::type...>;
};

}  // namespace detail

template <class... Parts>
using layers_of_parts = typename detail::concat<typename detail::layers_of<Parts>::type...>::type;

template <std::size_t I, class List>
using type_at = typename detail::at<I, List>::type;

}  // namespace typenet
