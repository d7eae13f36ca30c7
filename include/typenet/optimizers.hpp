#pragma once
// Optimizers keep their state (moments, step count) apart from the model, in
// the trainer, so a model file holds only what inference needs.
//
// A step is planned from the state (next_step, which changes nothing), then
// applied to the parameters, whole or in slices [first, first + size), and
// counted last (state.step = step.number), so that a step refused halfway
// leaves the state as it was. Whether a step's update is certainly finite is
// decided from two numbers (certainly_finite): the largest |gradient| and the
// largest magnitude of the state the last update wrote. When they prove
// nothing, the same formula runs first as a probe that writes nothing (see
// kernels/optimizers.hpp).
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/optimizers.hpp"
#include "typenet/memory.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// The largest step count a State holds: 2^53, up to which a double (Adam's
// bias corrections take the count as one) holds every count exactly. A step
// refuses to go past it, and a checkpoint that holds more is refused.
inline constexpr std::int64_t max_optimizer_step = std::int64_t{1} << 53;

namespace detail {

// The count a step after `step` steps will have.
inline std::int64_t next_step_number(std::int64_t step) {
    if (step < 0 || step >= max_optimizer_step)
        throw UsageError(fmt::format("typenet: the optimizer's step count is {}; a step needs one from 0 to {}", step,
                                     max_optimizer_step - 1));
    return step + 1;
}

// An update that moves no weight by more than this leaves every finite weight
// finite: at |w| <= FLT_MAX a float's spacing is 2^104 (2e31), so w plus or
// minus 1e30 rounds to a finite float. Every other value the formulas compute
// is kept below it too.
inline constexpr double largest_safe_change = 1e30;

// The exact check of a whole update, then the update: what Adam::update and
// SGD::update do. (The trainer checks in slices, and only when it must.)
template <class Arch, class Optimizer>
void checked_update(const Optimizer& optimizer, std::span<float> weights, std::span<const float> gradients,
                    typename Optimizer::State& state) {
    const auto step = optimizer.next_step(state);
    const kernels::NonFinite non_finite =
        optimizer.template apply<Arch, kernels::Pass::probe>(step, weights, gradients, state, 0);
    if (non_finite.total() > 0)
        throw NumericalError(fmt::format("the update would make {} weights and {} of the {} non-finite; nothing was "
                                         "changed",
                                         non_finite.weights, non_finite.state, Optimizer::state_name));
    optimizer.template apply<Arch>(step, weights, gradients, state, 0);
    state.step = step.number;
}

}  // namespace detail

// What the trainer needs of an optimizer (the header comment says how a step
// goes): its State (made from the parameter count, with a step count), the
// planned Step, the cheap finiteness proof, and apply, which writes or probes.
template <class O>
concept GradientOptimizer =
    std::copy_constructible<O> && std::constructible_from<typename O::State, std::size_t> &&
    requires(const O& optimizer, typename O::State& state, const typename O::Step& step, std::span<float> weights,
             std::span<const float> gradients, float largest) {
        { state.step } -> std::same_as<std::int64_t&>;
        { O::state_name } -> std::convertible_to<std::string_view>;
        { O::state_bytes(std::size_t{}) } -> std::convertible_to<std::size_t>;
        { optimizer.next_step(std::as_const(state)) } -> std::same_as<typename O::Step>;
        { step.number } -> std::convertible_to<std::int64_t>;
        { optimizer.certainly_finite(step, largest, largest) } -> std::convertible_to<bool>;
        { optimizer.template apply<kernels::native_arch>(step, weights, gradients, state, 0) }
            -> std::convertible_to<float>;
        {
            optimizer.template apply<kernels::native_arch, kernels::Pass::probe>(step, weights, gradients, state, 0)
        } -> std::same_as<kernels::NonFinite>;
    };

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
    static constexpr std::string_view state_name = "Adam moments";
    // The bytes of the state for n parameters: a compile-time constant.
    static constexpr std::size_t state_bytes(std::size_t n) { return 2 * aligned_bytes(n); }

    struct Step {
        float alpha;          // the step size, bias corrections folded in
        std::int64_t number;  // the step count once this step is done
    };
    Step next_step(const State& state) const {
        const std::int64_t number = detail::next_step_number(state.step);
        const double t = static_cast<double>(number);
        const auto alpha = static_cast<float>(learning_rate * std::sqrt(1.0 - std::pow(double(beta2), t)) /
                                              (1.0 - std::pow(double(beta1), t)));
        if (!std::isfinite(alpha))
            throw NumericalError(fmt::format("Adam's step size at step {} is {} (learning rate {}, beta1 {}, beta2 "
                                             "{}): the update would make every weight non-finite; nothing was changed",
                                             number, alpha, learning_rate, beta1, beta2));
        return {alpha, number};
    }

    // With g^2 finite and beta1, beta2 in [0, 1], the new m and v lie between
    // the old ones (finite, v >= 0, as every accepted step leaves them) and
    // g, g^2, so they are finite; and |alpha m / (sqrt(v) + eps)| is at most
    // |alpha| max(|m|, |g|) / eps.
    bool certainly_finite(Step step, float largest_gradient, float largest_m) const {
        constexpr float largest_squarable = 1.8e19f;  // (1.8e19)^2 = 3.24e38 < FLT_MAX = 3.40e38
        const double largest = std::max(largest_gradient, largest_m);
        const double change = std::abs(double(step.alpha)) * largest;
        return largest_gradient <= largest_squarable && beta1 >= 0.0f && beta1 <= 1.0f && beta2 >= 0.0f &&
               beta2 <= 1.0f && epsilon > 0.0f && largest <= detail::largest_safe_change &&
               change <= detail::largest_safe_change && change / epsilon <= detail::largest_safe_change;
    }

    // Pass::write updates and returns the largest |m| written; Pass::probe
    // changes nothing and returns what would not be finite.
    template <class Arch, kernels::Pass P = kernels::Pass::write>
    auto apply(Step step, std::span<float> weights, std::span<const float> gradients, State& state,
               std::size_t first) const {
        return kernels::adam_update<Arch, P>(weights.data(), gradients.data(), state.m.data() + first,
                                             state.v.data() + first, weights.size(), step.alpha, beta1, beta2,
                                             epsilon);
    }

    // One step on every parameter; throws NumericalError, changing nothing,
    // when a new weight or moment would not be finite.
    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        detail::checked_update<Arch>(*this, weights, gradients, state);
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
    static constexpr std::string_view state_name = "SGD velocities";
    static constexpr std::size_t state_bytes(std::size_t n) { return aligned_bytes(n); }

    struct Step {
        std::int64_t number;  // the step count once this step is done
    };
    Step next_step(const State& state) const { return {detail::next_step_number(state.step)}; }

    // |new velocity| <= |momentum| max|velocity| + |lr| max|g|.
    bool certainly_finite(Step, float largest_gradient, float largest_velocity) const {
        const double change = std::abs(double(momentum)) * largest_velocity +
                              std::abs(double(learning_rate)) * largest_gradient;
        return change <= detail::largest_safe_change;
    }

    // Pass::write updates and returns the largest |velocity| written;
    // Pass::probe changes nothing and returns what would not be finite.
    template <class Arch, kernels::Pass P = kernels::Pass::write>
    auto apply(Step, std::span<float> weights, std::span<const float> gradients, State& state,
               std::size_t first) const {
        return kernels::sgd_momentum_update<Arch, P>(weights.data(), gradients.data(), state.velocity.data() + first,
                                                     weights.size(), learning_rate, momentum);
    }

    // One step on every parameter; throws NumericalError, changing nothing,
    // when a new weight or velocity would not be finite.
    template <class Arch>
    void update(std::span<float> weights, std::span<const float> gradients, State& state) const {
        detail::checked_update<Arch>(*this, weights, gradients, state);
    }
};

static_assert(GradientOptimizer<Adam> && GradientOptimizer<SGD>);

}  // namespace typenet
