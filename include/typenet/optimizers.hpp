#pragma once
// Optimizers keep their state (moments, step count) apart from the model, in
// the trainer, so a model file holds only what inference needs.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/optimizers.hpp"
#include "typenet/memory.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Keras's defaults and Keras's update (bias corrections folded into the step size).
struct Adam {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;

    struct State {
        explicit State(std::size_t n) : m(n), v(n) {}
        AlignedFloats m, v;
        std::int64_t step = 0;
    };

    // A step is begun once (it counts the step and folds in the bias corrections),
    // then applied to the parameters, whole or in slices [first, first + size).
    struct Step {
        float alpha;
    };
    Step begin_step(State& state) const {
        ++state.step;
        const double t = static_cast<double>(state.step);
        const double alpha = learning_rate * std::sqrt(1.0 - std::pow(double(beta2), t)) /
                             (1.0 - std::pow(double(beta1), t));
        return {static_cast<float>(alpha)};
    }
    template <class Arch>
    void apply(Step step, std::span<float> weights, std::span<const float> gradients, State& state,
               std::size_t first) const {
        kernels::adam_update<Arch>(weights.data(), gradients.data(), state.m.data() + first, state.v.data() + first,
                                   weights.size(), step.alpha, beta1, beta2, epsilon);
    }

    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        apply<Arch>(begin_step(state), weights, gradients, state, 0);
    }
};

// Keras's SGD: plain when momentum is 0.
struct SGD {
    float learning_rate = 1e-2f;
    float momentum = 0.0f;

    struct State {
        explicit State(std::size_t n) : velocity(n) {}
        AlignedFloats velocity;
        std::int64_t step = 0;
    };

    struct Step {};
    Step begin_step(State& state) const {
        ++state.step;
        return {};
    }
    template <class Arch>
    void apply(Step, std::span<float> weights, std::span<const float> gradients, State& state,
               std::size_t first) const {
        kernels::sgd_momentum_update<Arch>(weights.data(), gradients.data(), state.velocity.data() + first,
                                           weights.size(), learning_rate, momentum);
    }

    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        apply<Arch>(begin_step(state), weights, gradients, state, 0);
    }
};

}  // namespace typenet
