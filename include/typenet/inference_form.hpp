#pragma once
// A trained model's inference form: the network that computes what the model
// computes in inference, without what only training needs.
//   - A layer with dropped_in_inference (Dropout) is left out.
//   - A layer with an inference_layer (BatchNormalization, whose inference is
//     one affine per channel) becomes that layer, which folds into the layer
//     before it when that one has a with_channel_affine and no activation
//     (a Conv2D or Dense with a linear activation): the kernel's columns are
//     scaled and the bias shifted, exactly what the affine would have done.
//   - A layer with joins_previous_layer (Activation<A>) becomes that layer's
//     activation, when it has none of its own.
// Folding stays inside a part, so the inference form has the model's parts
// and part<Encoder>() still runs the encoder. A model with nothing to leave
// out or fold is its own inference form: the same type, the same parameters.
//
//   using Served = tn::InferenceForm<Trained>;
//   const Served served = tn::inference_form(trained);   // or export_header(...)
#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "typenet/activations.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/model.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// A part of an inference form: the layers made from trained part Trained.
template <class Trained, class... Layers>
struct InferencePart : Sequential<Layers...> {
    using trained_part = Trained;
};

namespace detail::inference {

// How a layer of the inference form is made from the trained layers, in order.
template <std::size_t I>
struct Take {  // trained layer I, as it is or as its inference_layer
    static constexpr std::size_t index = I;
};
template <std::size_t I>
struct FoldAffine {  // trained layer I's channel affine (its inference_layer's), taken into the layer
    static constexpr std::size_t index = I;
};
template <std::size_t I>
struct FoldActivation {  // trained layer I's activation, taken as the layer's
    static constexpr std::size_t index = I;
};
template <class Op>
struct is_fold_affine : std::false_type {};
template <std::size_t I>
struct is_fold_affine<FoldAffine<I>> : std::true_type {
    static constexpr std::size_t index = I;
};

template <class Layer, class... Ops>
struct Made {
    using layer = Layer;
};

template <class L>
concept Dropped = requires { requires L::dropped_in_inference; };
template <class L>
concept HasInferenceLayer = requires { typename L::inference_layer; };
template <class L>
concept JoinsPrevious = requires {
    requires L::joins_previous_layer;
    typename L::activation;
};
template <class L>
concept WithoutActivation = requires { typename L::activation; } && std::is_same_v<typename L::activation, Linear>;
template <class L>
concept TakesChannelAffine = WithoutActivation<L> && requires { typename L::with_channel_affine; };
template <class L, class Act>
concept TakesActivation = WithoutActivation<L> && requires { typename L::template with_activation<Act>; };

template <class T>
struct inference_layer_of {
    using type = T;
};
template <HasInferenceLayer T>
struct inference_layer_of<T> {
    using type = typename T::inference_layer;
};

template <class List, class Last>
struct append;
template <class... Made, class Last>
struct append<TypeList<Made...>, Last> {
    using type = TypeList<Made..., Last>;
};

// The made layers so far, all but the last (Init) and the last.
template <class List>
struct split_last;
template <class Last>
struct split_last<TypeList<Last>> {
    using init = TypeList<>;
    using last = Last;
};
template <class First, class... Rest>
struct split_last<TypeList<First, Rest...>> {
    using init = typename concat<TypeList<First>, typename split_last<TypeList<Rest...>>::init>::type;
    using last = typename split_last<TypeList<Rest...>>::last;
};

// What the made layer Last becomes with trained layer T (index I) joined to
// it, or void when T cannot join it.
template <class Last, class T, std::size_t I>
struct join {
    using type = void;
};
template <class L, class... Ops, HasInferenceLayer T, std::size_t I>
    requires TakesChannelAffine<L>
struct join<Made<L, Ops...>, T, I> {
    using type = Made<typename L::with_channel_affine, Ops..., FoldAffine<I>>;
};
template <class L, class... Ops, JoinsPrevious T, std::size_t I>
    requires TakesActivation<L, typename T::activation>
struct join<Made<L, Ops...>, T, I> {
    using type = Made<typename L::template with_activation<typename T::activation>, Ops..., FoldActivation<I>>;
};

// The made layers of trained layers Index.. (Layers...), after those in Done.
template <class Done, std::size_t Index, class... Layers>
struct rewrite {
    using type = Done;
};
template <class Done, std::size_t Index, class T, class... Rest>
struct rewrite<Done, Index, T, Rest...> {
    static auto next() {
        if constexpr (Dropped<T>) {
            return std::type_identity<Done>{};
        } else {
            using alone = Made<typename inference_layer_of<T>::type, Take<Index>>;
            if constexpr (Done::size == 0) {
                return std::type_identity<TypeList<alone>>{};
            } else {
                using joined = typename join<typename split_last<Done>::last, T, Index>::type;
                if constexpr (std::is_void_v<joined>)
                    return std::type_identity<typename append<Done, alone>::type>{};
                else
                    return std::type_identity<typename append<typename split_last<Done>::init, joined>::type>{};
            }
        }
    }
    using type = typename rewrite<typename decltype(next())::type, Index + 1, Rest...>::type;
};

// Part P of a model, whose first layer is the model's layer First: the
// made layers, and the part the inference form has in its place.
template <class P, std::size_t First, class Layers = typename layers_of<P>::type>
struct part_form;
template <class P, std::size_t First, class... Layers>
struct part_form<P, First, TypeList<Layers...>> {
    using made = typename rewrite<TypeList<>, First, Layers...>::type;
    static_assert(made::size > 0, "typenet: this part has nothing left in inference (it is all Dropout), so the "
                                  "inference form would have an empty part; put the Dropout in a part with other layers");
    template <class List>
    struct layers_in;
    template <class... Made>
    struct layers_in<TypeList<Made...>> {
        using type = TypeList<typename Made::layer...>;
        using part = InferencePart<P, typename Made::layer...>;
    };
    static constexpr bool unchanged = std::is_same_v<typename layers_in<made>::type, TypeList<Layers...>>;
    using type = std::conditional_t<unchanged, P, typename layers_in<made>::part>;
};

template <class M, class Parts = typename M::parts, class = std::make_index_sequence<M::part_count>>
struct model_form;
template <class InputSpec, class... Parts, std::size_t... P>
struct model_form<Model<InputSpec, Parts...>, TypeList<Parts...>, std::index_sequence<P...>> {
    using trained = Model<InputSpec, Parts...>;
    template <std::size_t Part>
    using form = part_form<type_at<Part, TypeList<Parts...>>, trained::part_bounds[Part]>;
    using made = typename concat<typename form<P>::made...>::type;
    using type = Model<InputSpec, typename form<P>::type...>;
};

// Writes the parameters of the made layer of form graph index Into, from the trained parameters.
template <class Trained, class Form, std::size_t Into, class Made>
struct make_parameters;
template <class Trained, class Form, std::size_t Into, class Final, std::size_t First, class... Ops>
struct make_parameters<Trained, Form, Into, Made<Final, Take<First>, Ops...>> {
    using trained_graph = typename Trained::graph;
    using form_graph = typename Form::graph;
    using In = typename trained_graph::template shape_at<First>;
    template <class L>
    using bound = typename L::template Bound<In>;
    static constexpr std::size_t largest = std::max({form_graph::template bound<Into>::parameter_count,
                                                     trained_graph::template bound<First>::parameter_count});

    static void run(const float* trained, float* into) {
        using T = type_at<First, typename trained_graph::layer_list>;
        std::vector<float> made(largest);
        using trained_layer = typename trained_graph::template bound<First>;
        if constexpr (HasInferenceLayer<T>) trained_layer::to_inference(trained + trained_graph::parameter_offsets[First], made.data());
        else std::copy_n(trained + trained_graph::parameter_offsets[First], trained_layer::parameter_count, made.data());
        const auto result = apply<typename inference_layer_of<T>::type>(trained, made, Ops{}...);
        static_assert(std::is_same_v<typename decltype(result)::type, Final>);
        std::copy_n(made.data(), form_graph::template bound<Into>::parameter_count, into + form_graph::parameter_offsets[Into]);
    }

    // The ops after the first, in order, on made; returns the layer type they leave.
    template <class Current, class Op, class... Rest>
    static auto apply(const float* trained, std::vector<float>& made, Op, Rest... rest) {
        if constexpr (is_fold_affine<Op>::value) {
            constexpr std::size_t at = is_fold_affine<Op>::index;
            constexpr std::size_t channels = bound<Current>::output_shape::dims[bound<Current>::output_shape::rank - 1];
            std::array<float, 2 * channels> affine{};
            trained_graph::template bound<at>::to_inference(trained + trained_graph::parameter_offsets[at], affine.data());
            std::vector<float> folded(largest);
            bound<Current>::fold_channel_affine(made.data(), affine.data(), affine.data() + channels, folded.data());
            made.swap(folded);
            return apply<typename Current::with_channel_affine>(trained, made, rest...);
        } else {
            using A = typename type_at<Op::index, typename trained_graph::layer_list>::activation;
            return apply<typename Current::template with_activation<A>>(trained, made, rest...);
        }
    }
    template <class Current>
    static std::type_identity<Current> apply(const float*, std::vector<float>&) {
        return {};
    }
};

}  // namespace detail::inference

// The inference form of model M (see the top of this header).
template <class M>
using InferenceForm = typename detail::inference::model_form<M>::type;

// The parameters of M's inference form, from a trained model: the trained
// parameters, with dropped layers left out and normalizations folded.
template <class M>
InferenceForm<M> inference_form(const M& trained) {
    using Form = InferenceForm<M>;
    if constexpr (std::is_same_v<Form, M>) {
        return Form(trained);
    } else {
        Form form;
        using made = typename detail::inference::model_form<M>::made;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (detail::inference::make_parameters<M, Form, I, type_at<I, made>>::run(trained.parameters().data(),
                                                                                   form.parameters().data()),
             ...);
        }(std::make_index_sequence<made::size>{});
        return form;
    }
}

}  // namespace typenet
