#pragma once
// Optimizers keep their state (moments, step count) apart from the model, in
// the trainer, so a model file holds only what inference needs.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "typenet/kernels/optimizers.hpp"
#include "typenet/memory.hpp"

namespace typenet {

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

    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        ++state.step;
        const double t = static_cast<double>(state.step);
        const double alpha = learning_rate * std::sqrt(1.0 - std::pow(double(beta2), t)) /
                             (1.0 - std::pow(double(beta1), t));
        kernels::adam_update<Arch>(weights.data(), gradients.data(), state.m.data(), state.v.data(), weights.size(),
                                   static_cast<float>(alpha), beta1, beta2, epsilon);
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

    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        ++state.step;
        kernels::sgd_momentum_update<Arch>(weights.data(), gradients.data(), state.velocity.data(), weights.size(),
                                           learning_rate, momentum);
    }
};

}  // namespace typenet
