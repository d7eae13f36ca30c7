#pragma once
// What a loss reads, and through which layers training runs to it: for now
// every layer, and the loss reads the model's outputs. The trainer and
// evaluate go through this, so that both compute a loss the same way.
#include <cstddef>
#include <span>
#include <type_traits>

#include "typenet/accuracy.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/losses.hpp"
#include "typenet/model.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

template <class M, class Loss>
struct LossInput {
    using graph = typename M::graph;

    static constexpr bool takes_logits = [] {
        if constexpr (Crossentropy<Loss>) return std::is_same_v<typename Loss::input, FromLogits>;
        else return false;
    }();

    // The loss computed, and what it is given: the model's outputs, or logits.
    using loss = Loss;
    static constexpr Scores scores = takes_logits ? Scores::logits : Scores::probabilities;
    // Training runs layers 0 .. layers - 1; the loss reads activation(layers), of the output's shape.
    static constexpr std::size_t layers = graph::layer_count;
    using shape = typename M::output_shape;

    // Layer I as training runs it.
    template <std::size_t I>
    using bound = typename graph::template bound<I>;

    // Runs the model as training does on rows of inputs in workspace, and
    // returns what the loss reads (rows of shape).
    template <class Arch, class W>
    static std::span<const float> forward(const float* parameters, W& workspace, std::span<const float> inputs) {
        return Part<M, 0, layers>(parameters).template operator()<Arch>(workspace, inputs);
    }
};

}  // namespace typenet
