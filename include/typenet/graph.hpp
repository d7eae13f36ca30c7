#pragma once
// The compile-time graph: the input shape and a flat layer list become the
// shape at every boundary, the bound layers, and where each layer's
// parameters and activations live. Nothing here exists at run time but constants.
#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "typenet/buffer_plan.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/layer.hpp"
#include "typenet/memory.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

// What inference knows of a Tag seen so far: its name, the activation it
// names (its input's index) and that activation's shape.
template <TagName Name, std::size_t Activation, class S>
struct TagEntry {
    static constexpr TagName name = Name;
    static constexpr std::size_t activation = Activation;
    using shape = S;
};

template <TagName Name, class Tags>
struct find_tag;
template <TagName Name>
struct find_tag<Name, TypeList<>> {
    static constexpr bool found = false;
    using entry = TagEntry<Name, 0, Shape<1>>;
};
template <TagName Name, class First, class... Rest>
struct find_tag<Name, TypeList<First, Rest...>> {
    using next = find_tag<Name, TypeList<Rest...>>;
    static constexpr bool found = First::name == Name || next::found;
    using entry = std::conditional_t<First::name == Name, First, typename next::entry>;
};

// Named in the compiler's note when a merge reads a tag no Tag before it names,
// or a Tag takes a name already taken.
template <class Index, class Layer, bool Found>
struct tag_named_before {
    static constexpr bool value = Found;
    static_assert(value, "typenet: this merge reads a tag that no Tag before it in the list names (a tag names the "
                         "activation before a later merge: Tag<\"a\">, ..., Concatenate<\"a\">)");
};
template <class Index, class Layer, bool Taken>
struct tag_name_unused {
    static constexpr bool value = !Taken;
    static_assert(value, "typenet: two Tags of one model have the same name; give each its own");
};

// A layer is accepted when its type has the members every layer has, it takes
// its input, and bound to that input it keeps the contract (layer.hpp); each
// check runs only if the one before it passed. A merge is bound to its input
// and the tagged activation's shape (Skip), a layer to its input alone.
template <std::size_t Index, class In, class Skip, class Layer>
constexpr bool accepts() {
    using index = layer_index<Index>;
    if constexpr (MergeLayer<Layer>) {
        if constexpr (!merge_type_check<index, Layer, In, Skip>::value) return false;
        else if constexpr (!Layer::template input_check<index, In, Skip>::value) return false;
        else return merge_contract<index, typename Layer::template Bound<In, Skip>>::value;
    } else {
        if constexpr (!layer_type_check<index, Layer, In>::value) return false;
        else if constexpr (!Layer::template input_check<index, In>::value) return false;
        else return layer_contract<index, typename Layer::template Bound<In>>::value;
    }
}

template <class Layer, class In, class Skip>
struct bind {
    using type = typename Layer::template Bound<In>;
};
template <MergeLayer Layer, class In, class Skip>
struct bind<Layer, In, Skip> {
    using type = typename Layer::template Bound<In, Skip>;
};

// Layers Index.. of the list, from input shape In, with the Tags seen so far:
// the shapes at every boundary (S_Index .. S_n). Inference stops at the first
// layer that is refused, so the user sees that layer's message and not a
// cascade after it.
inline constexpr std::size_t no_skip = static_cast<std::size_t>(-1);

template <std::size_t Index, class In, class Tags, class... Layers>
struct infer_shapes {
    using type = TypeList<In>;
    static constexpr bool ok = true;
};

template <class B>
struct output_shape_of {
    using type = typename B::output_shape;
};
// The tag a merge reads, and the tag a Tag names ("" for other layers: no tag can have that name).
template <class Layer>
constexpr TagName read_tag() {
    if constexpr (MergeLayer<Layer>) return Layer::reads;
    else return TagName::none();
}
template <class Layer>
constexpr TagName named_tag() {
    if constexpr (TagLayer<Layer>) return Layer::tag;
    else return TagName::none();
}

// The activation each merge reads: the input of the last Tag before it of
// the name it reads (no_skip for other layers, and for a merge whose tag
// infer_shapes refuses). Computed once, on names, so that inference carries
// no growing list per layer.
template <class... Layers>
constexpr std::array<std::size_t, sizeof...(Layers)> skips_of() {
    constexpr std::size_t n = sizeof...(Layers);
    constexpr std::array<bool, n> tags{TagLayer<Layers>...}, merges{MergeLayer<Layers>...};
    constexpr std::array<TagName, n> named{named_tag<Layers>()...}, read{read_tag<Layers>()...};
    std::array<std::size_t, n> skips{};
    for (std::size_t i = 0; i < n; ++i) {
        skips[i] = no_skip;
        if (merges[i])
            for (std::size_t j = i; j-- > 0;)
                if (tags[j] && named[j] == read[i]) {
                    skips[i] = j;
                    break;
                }
    }
    return skips;
}

template <std::size_t Index, class In, class Tags, class Layer, class... Rest>
struct infer_shapes<Index, In, Tags, Layer, Rest...> {
    using skip = typename find_tag<read_tag<Layer>(), Tags>::entry;
    static constexpr bool named = [] {
        if constexpr (MergeLayer<Layer>)
            return tag_named_before<layer_index<Index>, Layer, find_tag<read_tag<Layer>(), Tags>::found>::value;
        else if constexpr (TagLayer<Layer>)
            return tag_name_unused<layer_index<Index>, Layer, find_tag<named_tag<Layer>(), Tags>::found>::value;
        else
            return true;
    }();
    static constexpr bool accepted = [] {
        if constexpr (named) return accepts<Index, In, typename skip::shape, Layer>();
        else return false;
    }();
    using bound = typename std::conditional_t<accepted, bind<Layer, In, typename skip::shape>,
                                              std::type_identity<void>>::type;
    using next_input = typename std::conditional_t<accepted, output_shape_of<bound>, std::type_identity<In>>::type;
    using next_tags = std::conditional_t<TagLayer<Layer>,
                                         typename concat<Tags, TypeList<TagEntry<named_tag<Layer>(), Index, In>>>::type,
                                         Tags>;
    using next = std::conditional_t<accepted, infer_shapes<Index + 1, next_input, next_tags, Rest...>,
                                    infer_shapes<Index + 1, In, Tags>>;
    static constexpr bool ok = accepted && next::ok;
    using type = typename concat<TypeList<In>, typename next::type>::type;
};

template <class Index, class Layer, bool Read>
struct tag_read_later {
    static constexpr bool value = Read;
    static_assert(value, "typenet: no merge after this Tag reads it (Add<\"name\"> or Concatenate<\"name\"> with "
                         "its name); remove the Tag or read it");
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
    using inference = detail::infer_shapes<0, InputShape, TypeList<>, Layers...>;
    static_assert(inference::ok, "typenet: the model does not compile; the first error above names the layer");
    using shapes = typename inference::type;
    using layer_list = TypeList<Layers...>;
    static constexpr std::size_t layer_count = sizeof...(Layers);

    template <std::size_t I>
    using shape_at = type_at<I, shapes>;
    // The activation merge i reads beside its input (detail::no_skip for other layers).
    static constexpr std::array<std::size_t, layer_count> skip_of = detail::skips_of<Layers...>();
    static constexpr bool reads_skip(std::size_t i) { return skip_of[i] != detail::no_skip; }
    template <std::size_t I>
    using bound = typename detail::bind<type_at<I, layer_list>, shape_at<I>,
                                        shape_at<reads_skip(I) ? skip_of[I] : I>>::type;

    using input_shape = InputShape;
    using output_shape = shape_at<layer_count>;

    static constexpr std::array<bool, layer_count + 1> is_view = [] {
        std::array<bool, layer_count + 1> views{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((views[I] = bound<I>::is_view), ...);
        }(std::make_index_sequence<layer_count>{});
        return views;
    }();

    static constexpr std::array<bool, layer_count + 1> is_tag{TagLayer<Layers>..., false};
    static constexpr bool has_skips = (TagLayer<Layers> || ...);

    static constexpr bool is_read(std::size_t activation) {
        for (const std::size_t read : skip_of)
            if (read == activation) return true;
        return false;
    }
    static constexpr bool every_tag_is_read() {
        if constexpr (!has_skips) return true;
        else
            return []<std::size_t... I>(std::index_sequence<I...>) {
                return (detail::tag_read_later<layer_index<I>, Layers, !TagLayer<Layers> || is_read(I)>::value && ...);
            }(std::index_sequence_for<Layers...>{});
    }
    static_assert(every_tag_is_read());

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

    // Scratch is used by one layer at a time, so the largest need is enough:
    // training's (forward's and backward's: scratch_floats) and inference's
    // (forward's alone: forward_scratch_floats).
    struct ScratchNeeds {
        std::size_t training = 0, inference = 0;
    };
    static constexpr ScratchNeeds scratch_needs = [] {
        ScratchNeeds largest;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((largest.training = std::max(largest.training, std::size_t(bound<I>::scratch_floats)),
              largest.inference = std::max(largest.inference, forward_scratch_floats_of<bound<I>>())),
             ...);
        }(std::make_index_sequence<layer_count>{});
        return largest;
    }();
    static constexpr std::size_t scratch_floats = scratch_needs.training;
    static constexpr std::size_t forward_scratch_floats = scratch_needs.inference;

    static constexpr std::array<std::size_t, layer_count + 1> activation_sizes = [] {
        std::array<std::size_t, layer_count + 1> sizes{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((sizes[I] = shape_at<I>::size), ...);
        }(std::make_index_sequence<layer_count + 1>{});
        return sizes;
    }();

    // Activation i (the input of layer i, i = 0..n) is value value_of[i]: the
    // first activation of its run of views, whose memory it shares.
    static constexpr std::array<std::size_t, layer_count + 1> value_of = [] {
        std::array<std::size_t, layer_count + 1> value{};
        for (std::size_t i = 0; i < layer_count; ++i) value[i + 1] = is_view[i] ? value[i] : i + 1;
        return value;
    }();
    // The floats a row of every value, each in its own memory.
    static constexpr std::size_t value_floats = [] {
        std::size_t total = 0;
        for (std::size_t i = 0; i <= layer_count; ++i)
            if (value_of[i] == i) total += activation_sizes[i];
        return total;
    }();

    // Inference: layer i runs at time i + 1 and the input is written at time
    // 0. A value lives until the last layer that reads it, as its input or
    // its skip; the output until the end. Values never alive at once share
    // memory: a chain needs its two largest neighbours, no more.
    static constexpr BufferPlan<layer_count + 1> inference_plan = [] {
        std::array<Lifetime, layer_count + 1> values{};
        for (std::size_t i = 0; i <= layer_count; ++i) {
            const std::size_t v = value_of[i];
            if (v == i) values[v] = {i, i, activation_sizes[i]};
            const std::size_t read = i == layer_count ? layer_count + 1 : is_view[i] ? 0 : i + 1;
            values[v].last = std::max(values[v].last, read);
        }
        for (std::size_t m = 0; m < layer_count; ++m)
            if (reads_skip(m)) values[value_of[skip_of[m]]].last = std::max(values[value_of[skip_of[m]]].last, m + 1);
        return plan_buffers(values);
    }();

    // Training keeps every value: backward reads a layer's input and output.
    static constexpr BufferPlan<layer_count + 1> training_plan = [] {
        std::array<Lifetime, layer_count + 1> values{};
        for (std::size_t i = 0; i <= layer_count; ++i)
            if (value_of[i] == i) values[i] = {0, layer_count + 1, activation_sizes[i]};
        return plan_buffers(values);
    }();

    // Gradients, in backward's time: layer i runs at time n - i, the loss at
    // 0. A value's gradient is written by the backward of the layer that reads
    // its last activation (dx) and read by the layer that wrote the value
    // (dy), or by the caller for the input; merge m's dskip (plan entry n + 1 + m)
    // lives from merge m's backward to its Tag's, which adds it into the
    // tagged value's gradient. A chain needs its two largest neighbours, and
    // each skip its own memory while it is open.
    static constexpr std::size_t skip_gradient_entry(std::size_t m) { return layer_count + 1 + m; }
    static constexpr BufferPlan<2 * layer_count + 1> gradient_plan = [] {
        constexpr std::size_t n = layer_count;
        std::array<Lifetime, 2 * n + 1> values{};
        for (std::size_t i = 0; i <= n; ++i) {
            const std::size_t v = value_of[i];
            if (v == i) values[v] = {n - i, i == 0 ? n + 1 : n - i + 1, activation_sizes[i]};
            values[v].first = n - i;  // the last activation of the value is its gradient's writer's input
        }
        for (std::size_t m = 0; m < n; ++m)
            if (reads_skip(m)) values[skip_gradient_entry(m)] = {n - m, n - skip_of[m], activation_sizes[skip_of[m]]};
        return plan_buffers(values);
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
