#pragma once
// Losses as Keras reports them: the mean over every element of every real row.
#include <concepts>
#include <cstddef>
#include <string_view>

#include "typenet/instruction_set.hpp"
#include "typenet/kernels/losses.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// What the trainer and fit need of a loss: its name (in history.csv and the
// progress line) and sum, as below.
template <class L>
concept LossFunction = requires(const float* y, const float* target, std::size_t count, float scale,
                                float* gradient) {
    { L::name } -> std::convertible_to<std::string_view>;
    { L::template sum<kernels::native_arch>(y, target, count, scale, gradient) } -> std::convertible_to<double>;
    { L::template sum<kernels::native_arch>(y, target, count) } -> std::convertible_to<double>;
};

// sum returns the sum of the per-element losses over count elements and, when
// gradient is given, writes scale times each element's derivative into it:
// with scale = 1 / (elements in the whole batch), the gradient of the mean,
// even when a thread sees only its share of the batch.
struct MeanSquaredError {
    static constexpr std::string_view name = "mse";
    template <class Arch>
    static double sum(const float* y, const float* target, std::size_t count, float scale = 0.0f,
                      float* gradient = nullptr) {
        return kernels::squared_error<Arch>(y, target, count, scale, gradient);
    }
};

struct MeanAbsoluteError {
    static constexpr std::string_view name = "mae";
    template <class Arch>
    static double sum(const float* y, const float* target, std::size_t count, float scale = 0.0f,
                      float* gradient = nullptr) {
        return kernels::absolute_error<Arch>(y, target, count, scale, gradient);
    }
};

using MSE = MeanSquaredError;
using MAE = MeanAbsoluteError;

static_assert(LossFunction<MSE> && LossFunction<MAE>);

}  // namespace typenet
