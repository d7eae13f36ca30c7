#pragma once
// Tag<"a">: names the activation it passes on, so that a later merge
// (Add<"a">, Concatenate<"a">, merge.hpp) reads it again: a skip connection
// in a flat list, as dlib's tag1<> and add_prev1<>. The list
//   Conv2D<16, 3, 1, Same, ReLU>, Tag<"a">, Conv2D<32, 3, 2, ...>, ..., Concatenate<"a">
// is Keras's a = Conv2D(16, ...)(x); ...; Concatenate()([u, a]). A Tag is a
// view: it costs nothing forward, and backward adds its readers' gradients
// into the gradient of what it names.
#include <array>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <TagName Name>
struct Tag {
    static constexpr TagName tag = Name;

    template <class Index, class In>
    struct input_check {
        static constexpr bool value = true;
    };

    template <class In>
    struct Bound {
        static constexpr std::string_view kind = "Tag";
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t parameter_count = 0;
        static constexpr bool is_view = true;
        static constexpr std::size_t scratch_floats = 0;
        static constexpr std::array<TensorInfo, 0> tensors{};

        template <class Text>
        static constexpr void describe_settings(Text& text) {
            text.append(Name.view());
        }

        static void initialize(float*, Random&) {}
        template <class Arch>
        static void forward(const float*, const float*, float*, std::size_t, float*) {}
        template <class Arch>
        static void backward(const float*, const float*, const float*, float*, float*, float*, std::size_t, float*) {}
    };
};

}  // namespace typenet
