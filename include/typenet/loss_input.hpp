#pragma once
// What a loss reads, and through which layers training runs to it.
//
// A crossentropy of probabilities after the layer that makes them from logits
// is computed from those logits instead, as tf.keras does: a saturated
// softmax or sigmoid gives probabilities of exactly 0 or 1, whose clipped
// logarithm stops at log(1e-7) and whose derivative through the squash is 0,
// so a confidently wrong model would learn nothing; from logits, the loss is
// the log-sum-exp form and its gradient softmax(z) - t (sigmoid(z) - t),
// finite and informative at any logit. The model itself is unchanged: its
// outputs (predict, part<...>()) are still probabilities. typenet knows the
// last layer at compile time, so:
//   - a model that ends in Softmax, with a categorical crossentropy of
//     probabilities: training runs every layer but the Softmax, and the loss
//     is the same crossentropy of the Softmax's input, from logits;
//   - a model whose last layer with work has a sigmoid activation (Views
//     such as Reshape may follow it), with binary crossentropy of
//     probabilities: training runs that layer with a linear activation (its
//     with_activation<Linear>, the same parameters), and the loss is binary
//     crossentropy from logits.
// Other pairs are computed from the probabilities as given, clipped as Keras
// clips them. A crossentropy told FromLogits after such a layer would take
// probabilities for logits: it does not compile, and the message says what
// to write instead.
#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "typenet/accuracy.hpp"
#include "typenet/activations.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/layers/softmax.hpp"
#include "typenet/losses.hpp"
#include "typenet/model.hpp"
#include "typenet/type_list.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

namespace detail {

template <class Layer>
concept HasSigmoid = requires { typename Layer::activation; } && std::is_same_v<typename Layer::activation, Sigmoid>;

template <class Layer>
concept HasLinearTwin = requires { typename Layer::template with_activation<Linear>; };

// The index of the last layer that is not a view; count when every layer is one.
template <class Graph>
constexpr std::size_t last_working_layer() {
    for (std::size_t i = Graph::layer_count; i-- > 0;)
        if (!Graph::is_view[i]) return i;
    return Graph::layer_count;
}

}  // namespace detail

// Appears in compiler notes with the loss and the layer when a crossentropy
// is told it gets logits from a layer that makes probabilities.
template <class Loss, class LastLayer, bool Refused>
struct logits_check {
    static constexpr bool value = !Refused;
    static_assert(value, "typenet: the model ends in a Softmax or a sigmoid, so its outputs are probabilities, not "
                         "logits: write the loss without FromLogits (SparseCategoricalCrossentropy<>, "
                         "CategoricalCrossentropy<>, BinaryCrossentropy<>); training then reads the logits before "
                         "the Softmax or sigmoid itself, as stably as from logits");
};

// How training reaches the loss: the model's outputs as they are, the
// logits before a last Softmax, or a last layer with work run with a linear
// activation instead of its sigmoid.
enum class LossRoute { as_given, before_softmax, linear_last_layer };

template <class M, class Loss>
struct LossInput {
    using graph = typename M::graph;
    static constexpr std::size_t layer_count = graph::layer_count;
    static constexpr std::size_t last_working = detail::last_working_layer<graph>();
    using last_layer = type_at<layer_count - 1, typename graph::layer_list>;
    using last_working_layer = type_at<last_working < layer_count ? last_working : 0, typename graph::layer_list>;
    static constexpr bool ends_in_softmax = std::is_same_v<last_layer, Softmax>;
    static constexpr bool ends_in_sigmoid = last_working < layer_count && detail::HasSigmoid<last_working_layer>;

    static constexpr bool takes_logits = [] {
        if constexpr (Crossentropy<Loss>) return std::is_same_v<typename Loss::input, FromLogits>;
        else return false;
    }();
    static_assert(logits_check<Loss, std::conditional_t<ends_in_softmax, last_layer, last_working_layer>,
                               takes_logits && (ends_in_softmax || ends_in_sigmoid)>::value);

    static constexpr LossRoute route = [] {
        if constexpr (Crossentropy<Loss>) {
            if constexpr (std::is_same_v<typename Loss::input, FromProbabilities>) {
                if (Loss::squash == Squash::softmax && ends_in_softmax) return LossRoute::before_softmax;
                if constexpr (detail::HasLinearTwin<last_working_layer>)
                    if (Loss::squash == Squash::sigmoid && ends_in_sigmoid) return LossRoute::linear_last_layer;
            }
        }
        return LossRoute::as_given;
    }();

private:
    template <bool AsGiven, class L = Loss>
    struct computed {
        using type = L;
    };
    template <class L>
    struct computed<false, L> {
        using type = typename L::with_logits;
    };

public:
    // The loss computed, and what it is given: the model's outputs, or logits.
    using loss = typename computed<route == LossRoute::as_given>::type;
    static constexpr Scores scores =
        route == LossRoute::as_given && !takes_logits ? Scores::probabilities : Scores::logits;
    // Training runs layers 0 .. layers - 1; the loss reads activation(layers), of the output's shape.
    static constexpr std::size_t layers = route == LossRoute::before_softmax ? layer_count - 1 : layer_count;
    using shape = typename M::output_shape;

private:
    template <std::size_t I, bool Linear>
    struct bound_as_trained {
        using type = typename graph::template bound<I>;
    };
    template <std::size_t I>
    struct bound_as_trained<I, true> {
        using type = typename last_working_layer::template with_activation<Linear>::template Bound<
            typename graph::template shape_at<I>>;
        static_assert(type::parameter_count == graph::template bound<I>::parameter_count,
                      "typenet: a layer's with_activation<Linear> must keep its parameters");
    };

public:
    // Layer I as training runs it.
    template <std::size_t I>
    using bound = typename bound_as_trained<I, route == LossRoute::linear_last_layer && I == last_working>::type;

    // The loss terms of the layers training runs (layer.hpp), added to the
    // loss; and the names of the loss's parts, the loss's own first:
    // {"binary_crossentropy", "kl_loss"}.
    static constexpr std::size_t loss_term_count = Part<M, 0, layers>::loss_term_count;
    static constexpr auto part_names = []<std::size_t... I>(std::index_sequence<I...>) {
        std::array<std::string_view, loss_term_count + 1> names{Loss::name};
        std::size_t next = 1;
        const auto add = [&]<class B>() {
            if constexpr (HasLossTerm<B>) names[next++] = B::loss_term_name;
        };
        (add.template operator()<bound<I>>(), ...);
        return names;
    }(std::make_index_sequence<layers>{});

    // Runs the model as evaluation does on rows of inputs in workspace
    // (drawing as draws says, when not null; adding the layers' loss terms
    // into loss_terms, when not null), and returns what the loss reads (rows of shape).
    template <class Arch, class W>
    static std::span<const float> forward(const float* parameters, W& workspace, std::span<const float> inputs,
                                          const Draws* draws = nullptr, double* loss_terms = nullptr) {
        if constexpr (route == LossRoute::linear_last_layer) {
            const auto before = Part<M, 0, last_working>(parameters).template run<Arch>(workspace, inputs, draws,
                                                                                        loss_terms);
            const std::size_t rows = before.size() / graph::template shape_at<last_working>::size;
            bound<last_working>::template forward<Arch>(parameters + graph::parameter_offsets[last_working],
                                                        before.data(), workspace.activation(last_working + 1), rows,
                                                        workspace.scratch());
            return {workspace.activation(layer_count), rows * shape::size};
        } else {
            return Part<M, 0, layers>(parameters).template run<Arch>(workspace, inputs, draws, loss_terms);
        }
    }

};

}  // namespace typenet
