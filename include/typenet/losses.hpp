#pragma once
// Losses as Keras reports them: the mean over every element of every real row.
#include <cstddef>
#include <string_view>

#include "typenet/kernels/losses.hpp"

namespace typenet {

struct MeanSquaredError {
    static constexpr std::string_view name = "mse";
    // Returns the sum of the per-element losses; writes d(mean)/dy when gradient is given.
    template <class Arch>
    static double sum(const float* y, const float* target, std::size_t count, float* gradient = nullptr) {
        return kernels::squared_error<Arch>(y, target, count, 1.0f / static_cast<float>(count), gradient);
    }
};

struct MeanAbsoluteError {
    static constexpr std::string_view name = "mae";
    template <class Arch>
    static double sum(const float* y, const float* target, std::size_t count, float* gradient = nullptr) {
        return kernels::absolute_error<Arch>(y, target, count, 1.0f / static_cast<float>(count), gradient);
    }
};

using MSE = MeanSquaredError;
using MAE = MeanAbsoluteError;

}  // namespace typenet
