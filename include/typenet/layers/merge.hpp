#pragma once
// Merges: layers that read, beside their input, an activation a Tag named
// earlier (tag.hpp), as Keras's Add()([x, a]) and Concatenate()([x, a]):
//   Add<"a">          x + a, of one shape
//   Concatenate<"a">  x's channels, then a's (Keras's default axis -1): the
//                     two must agree in every dimension but the last
// Two inputs whose shapes disagree fail to compile: the compiler's note names
// the merge's place in the list, its input's shape and then the tagged one's.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include "typenet/compile_time_text.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/layer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// What every merge is: no parameters, no scratch, and "with a" in the architecture text.
template <TagName Name, class In, class Out>
struct MergeBound {
    using input_shape = In;
    using output_shape = Out;
    static constexpr std::size_t parameter_count = 0;
    static constexpr bool is_view = false;
    static constexpr std::size_t scratch_floats = 0;
    static constexpr std::array<TensorInfo, 0> tensors{};

    template <class Text>
    static constexpr void describe_settings(Text& text) {
        text.append("with ");
        text.append(Name.view());
    }
    static void initialize(float*, Random&) {}
};

template <class S, std::size_t Last, class = std::make_index_sequence<S::rank - 1>>
struct with_last_dim;
template <class S, std::size_t Last, std::size_t... I>
struct with_last_dim<S, Last, std::index_sequence<I...>> {
    using type = Shape<S::dims[I]..., Last>;
};

template <class A, class B>
constexpr bool agree_but_last() {
    if constexpr (A::rank != B::rank) return false;
    else {
        for (std::size_t i = 0; i + 1 < A::rank; ++i)
            if (A::dims[i] != B::dims[i]) return false;
        return true;
    }
}

}  // namespace detail

template <TagName Name>
struct Add {
    static constexpr TagName reads = Name;

    template <class Index, class Input, class Tagged>
    struct input_check {
        static constexpr bool value = std::is_same_v<Input, Tagged>;
        static_assert(value, "typenet: Add's two inputs must have one shape; the note names the layer, then its "
                             "input's shape and the shape of the activation its tag names");
    };

    template <class In, class Skip>
    struct Bound : detail::MergeBound<Name, In, In> {
        static constexpr std::string_view kind = "Add";

        template <class Arch>
        static void forward(const float*, const float* x, const float* skip, float* y, std::size_t rows, float*) {
            const float* sources[] = {x, skip};
            kernels::sum_in_order<Arch>(y, sources, 2, rows * In::size);
        }
        template <class Arch>
        static void backward(const float*, const float*, const float*, const float*, float* dy, float* dx,
                             float* dskip, float*, std::size_t rows, float*) {
            if (dx) std::copy_n(dy, rows * In::size, dx);
            if (dskip) std::copy_n(dy, rows * In::size, dskip);
        }
    };
};

template <TagName Name>
struct Concatenate {
    static constexpr TagName reads = Name;

    template <class Index, class Input, class Tagged>
    struct input_check {
        static constexpr bool value = detail::agree_but_last<Input, Tagged>();
        static_assert(value, "typenet: Concatenate's two inputs must agree in every dimension but the last (the "
                             "channels); the note names the layer, then its input's shape and the shape of the "
                             "activation its tag names");
    };

    template <class In, class Skip>
    struct Bound : detail::MergeBound<Name, In,
                                      typename detail::with_last_dim<In, In::dims[In::rank - 1] +
                                                                             Skip::dims[Skip::rank - 1]>::type> {
        static constexpr std::string_view kind = "Concatenate";
        static constexpr std::size_t first = In::dims[In::rank - 1], second = Skip::dims[Skip::rank - 1];
        static constexpr std::size_t cells = In::size / first;  // pixels, or 1 for flat vectors

        template <class Arch>
        static void forward(const float*, const float* x, const float* skip, float* y, std::size_t rows, float*) {
            for (std::size_t p = 0; p < rows * cells; ++p) {
                std::copy_n(x + p * first, first, y + p * (first + second));
                std::copy_n(skip + p * second, second, y + p * (first + second) + first);
            }
        }
        template <class Arch>
        static void backward(const float*, const float*, const float*, const float*, float* dy, float* dx,
                             float* dskip, float*, std::size_t rows, float*) {
            for (std::size_t p = 0; p < rows * cells; ++p) {
                if (dx) std::copy_n(dy + p * (first + second), first, dx + p * first);
                if (dskip) std::copy_n(dy + p * (first + second) + first, second, dskip + p * second);
            }
        }
    };
};

}  // namespace typenet
