#pragma once
// Central-difference gradient check of a whole model, every parameter and
// every input, in the spirit of dlib's test_layer: the loss is a fixed random
// projection of the output, L = sum r_i y_i, so dL/dy = r exercises every
// output, and each derivative is retried at several step sizes before it fails.
// A ReLU unit whose input sits within a step of 0 is a kink, where the
// derivative does not exist: there the one-sided differences disagree with
// each other, and the point is counted as a kink rather than as a failure.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "typenet/typenet.hpp"

namespace typenet::testing {

struct GradientCheckReport {
    std::size_t checked = 0;
    std::size_t kinks = 0;
    std::vector<std::string> failures;
};

inline bool close_enough(double numeric, double analytic) {
    return std::abs(numeric - analytic) <= 2e-3 + 2e-2 * std::max(std::abs(numeric), std::abs(analytic));
}

template <class M, std::size_t Rows = 2>
GradientCheckReport check_gradients(std::uint64_t seed = 1) {
    M model(seed);
    Trainer<M, SGD, MSE, Rows> trainer(model);
    auto& workspace = trainer.workspace();
    using graph = typename M::graph;
    constexpr std::size_t n = graph::layer_count;
    constexpr std::size_t in_size = M::input_shape::size * Rows;
    constexpr std::size_t out_size = M::output_shape::size * Rows;

    Random random(seed + 100);
    std::vector<float> input(in_size), projection(out_size);
    for (auto& x : input) x = random.uniform(-1.0f, 1.0f);
    for (auto& r : projection) r = random.uniform(-1.0f, 1.0f);

    // The input goes into the workspace, where backward reads it.
    auto loss = [&] {
        std::copy(input.begin(), input.end(), workspace.activation(0));
        const auto y = model(workspace, std::span<const float>(workspace.activation(0), in_size));
        double sum = 0.0;
        for (std::size_t i = 0; i < out_size; ++i) sum += double(projection[i]) * y[i];
        return sum;
    };
    loss();
    std::copy(projection.begin(), projection.end(), workspace.gradient(n));
    trainer.backward(Rows, true);
    const std::vector<float> grad_params(trainer.gradients().begin(), trainer.gradients().end());
    const std::vector<float> grad_input(workspace.gradient(0), workspace.gradient(0) + in_size);

    GradientCheckReport report;
    auto check = [&](float& value, double analytic, const std::string& what) {
        const float saved = value;
        const double center = loss();
        bool ok = false, kink = false;
        double numeric = 0.0;
        for (const float step : {1e-3f, 3e-3f, 3e-4f}) {
            value = saved + step;
            const double plus = loss();
            value = saved - step;
            const double minus = loss();
            value = saved;
            numeric = (plus - minus) / (2.0 * step);
            if ((ok = close_enough(numeric, analytic))) break;
            kink = kink || !close_enough((plus - center) / step, (center - minus) / step);
        }
        ++report.checked;
        if (!ok && kink) ++report.kinks;
        else if (!ok) report.failures.push_back(fmt::format("{}: numeric {} vs backward {}", what, numeric, analytic));
    };
    auto parameters = model.parameters();
    for (std::size_t i = 0; i < M::parameter_count; ++i) check(parameters[i], grad_params[i], fmt::format("parameter {}", i));
    for (std::size_t i = 0; i < in_size; ++i) check(input[i], grad_input[i], fmt::format("input {}", i));
    return report;
}

}  // namespace typenet::testing
