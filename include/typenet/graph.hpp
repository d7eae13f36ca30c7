#pragma once
// The compile-time graph: the input shape and a flat layer list become the
// shape at every boundary, the bound layers, and where each layer's
// parameters and activations live. Nothing here exists at run time but constants.
#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/memory.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

template <class Layer, class In>
struct output_of {
    using type = typename Layer::template Bound<In>::output_shape;
};

// Shapes S0 (the input) .. Sn; inference stops at the first layer that rejects its input,
// so the user sees that layer's message and not a cascade after it.
template <std::size_t Index, class In, class... Layers>
struct infer_shapes {
    using type = TypeList<In>;
    static constexpr bool ok = true;
};
// A layer is accepted when its type has the members every layer has, it takes
// its input, and bound to that input it keeps the contract (layer.hpp); each
// check runs only if the one before it passed.
template <std::size_t Index, class In, class Layer>
constexpr bool accepts() {
    using index = layer_index<Index>;
    if constexpr (!layer_type_check<index, Layer, In>::value) return false;
    else if constexpr (!Layer::template input_check<index, In>::value) return false;
    else return layer_contract<index, typename Layer::template Bound<In>>::value;
}

template <std::size_t Index, class In, class Layer, class... Rest>
struct infer_shapes<Index, In, Layer, Rest...> {
    static constexpr bool accepted = accepts<Index, In, Layer>();
    using next = std::conditional_t<accepted,
                                    infer_shapes<Index + 1, typename std::conditional_t<accepted, output_of<Layer, In>,
                                                                                         std::type_identity<In>>::type,
                                                 Rest...>,
                                    infer_shapes<Index + 1, In>>;
    static constexpr bool ok = accepted && next::ok;
    using type = typename detail::concat<TypeList<In>, typename next::type>::type;
};

}  // namespace detail

template <std::size_t N>
constexpr std::size_t floats_of(const std::array<TensorInfo, N>& tensors, TensorRole role) {
    std::size_t count = 0;
    for (const TensorInfo& tensor : tensors)
        if (tensor.role == role) count += tensor.size();
    return count;
}

template <class InputShape, class Layers>
struct Graph;

template <class InputShape, class... Layers>
struct Graph<InputShape, TypeList<Layers...>> {
    using inference = detail::infer_shapes<0, InputShape, Layers...>;
    static_assert(inference::ok, "typenet: the model does not compile; the first error above names the layer");
    using shapes = typename inference::type;
    using layer_list = TypeList<Layers...>;
    static constexpr std::size_t layer_count = sizeof...(Layers);

    template <std::size_t I>
    using shape_at = type_at<I, shapes>;
    template <std::size_t I>
    using bound = typename type_at<I, layer_list>::template Bound<shape_at<I>>;

    using input_shape = InputShape;
    using output_shape = shape_at<layer_count>;

    static constexpr std::array<bool, layer_count + 1> is_view = [] {
        std::array<bool, layer_count + 1> views{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((views[I] = bound<I>::is_view), ...);
        }(std::make_index_sequence<layer_count>{});
        return views;
    }();

    // Each layer's parameters start on a cache line: [offset[i], offset[i+1]).
    static constexpr std::array<std::size_t, layer_count + 1> parameter_offsets = [] {
        std::array<std::size_t, layer_count + 1> offsets{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((offsets[I + 1] = offsets[I] + align_up(bound<I>::parameter_count)), ...);
        }(std::make_index_sequence<layer_count>{});
        return offsets;
    }();
    static constexpr std::size_t parameter_count = parameter_offsets[layer_count];

    // Keras's counts (model.summary()): the trained tensors' floats, and the
    // statistics' (moving means and variances); counters are in neither, as Keras has none.
    static constexpr std::size_t count_of(TensorRole role) {
        std::size_t count = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((count += floats_of(bound<I>::tensors, role)), ...);
        }(std::make_index_sequence<layer_count>{});
        return count;
    }
    static constexpr std::size_t trainable_parameter_count = count_of(TensorRole::trained);
    static constexpr std::size_t non_trainable_parameter_count = count_of(TensorRole::statistic);

    // Scratch is used by one layer at a time, so the largest need is enough.
    static constexpr std::size_t scratch_floats = [] {
        std::size_t largest = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((largest = std::max(largest, std::size_t(bound<I>::scratch_floats))), ...);
        }(std::make_index_sequence<layer_count>{});
        return largest;
    }();

    // Activation i (the input of layer i, i = 0..n) lives in buffer buffer_of[i];
    // a view's output shares its input's buffer.
    static constexpr std::array<std::size_t, layer_count + 1> buffer_of = [] {
        std::array<std::size_t, layer_count + 1> slot{};
        for (std::size_t i = 0; i < layer_count; ++i) slot[i + 1] = is_view[i] ? slot[i] : slot[i] + 1;
        return slot;
    }();
    static constexpr std::size_t buffer_count = buffer_of[layer_count] + 1;

    static constexpr std::array<std::size_t, layer_count + 1> activation_sizes = [] {
        std::array<std::size_t, layer_count + 1> sizes{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((sizes[I] = shape_at<I>::size), ...);
        }(std::make_index_sequence<layer_count + 1>{});
        return sizes;
    }();

    // Whether layer i must produce dx in a backward pass: only if a layer with
    // work (or the caller, for the model's input) sits before it.
    static constexpr bool needs_input_gradient(std::size_t i, bool caller_wants_it) {
        if (caller_wants_it) return true;
        for (std::size_t j = 0; j < i; ++j)
            if (!is_view[j]) return true;
        return false;
    }
};

}  // namespace typenet
