#pragma once
// Flatten and Reshape change how a row is seen, not its values: they are views
// and share their input's buffers.
#include <array>
#include <cstddef>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <class In, class Out, std::string_view const& Kind>
struct ViewLayer {
    static constexpr std::string_view kind = Kind;
    using input_shape = In;
    using output_shape = Out;
    static constexpr std::size_t parameter_count = 0;
    static constexpr bool is_view = true;
    static constexpr std::size_t scratch_floats = 0;
    static constexpr std::array<TensorInfo, 0> tensors{};
    static void initialize(float*, Random&) {}
    template <class Arch>
    static void forward(const float*, const float*, float*, std::size_t, float*) {}
    template <class Arch>
    static void backward(const float*, const float*, const float*, float*, float*, float*, std::size_t, float*) {}
};

inline constexpr std::string_view flatten_kind = "Flatten";
inline constexpr std::string_view reshape_kind = "Reshape";

struct Flatten {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };
    template <class In>
    using Bound = ViewLayer<In, Shape<In::size>, flatten_kind>;
};

template <std::size_t... Dims>
struct Reshape {
    template <class Index, class In>
    struct input_check {
        static constexpr bool value = In::size == Shape<Dims...>::size;
        static_assert(value, "typenet: Reshape must keep the number of elements of its input");
    };
    template <class In>
    using Bound = ViewLayer<In, Shape<Dims...>, reshape_kind>;
};

}  // namespace typenet
