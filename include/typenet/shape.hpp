#pragma once
// Shapes are types: the compiler infers every layer's shape from the input's,
// so a mismatch is a compile error, and every buffer size is a constant.
#include <array>
#include <cstddef>

#include "typenet/instruction_set.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Dimensions as Keras writes them: (height, width, channels) for images,
// (features) for flat vectors. No batch dimension: the batch is a runtime count.
template <std::size_t... Dims>
struct Shape {
    static_assert(sizeof...(Dims) > 0, "typenet: a shape needs at least one dimension");
    static_assert(((Dims > 0) && ...), "typenet: every dimension of a shape must be positive");
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::size_t size = (Dims * ...);
    static constexpr std::array<std::size_t, rank> dims{Dims...};
};

template <class T>
inline constexpr bool is_shape = false;
template <std::size_t... Dims>
inline constexpr bool is_shape<Shape<Dims...>> = true;

// The first element of a Model's list: the shape of one sample.
template <std::size_t... Dims>
struct Input {
    using shape = Shape<Dims...>;
};

}  // namespace typenet
