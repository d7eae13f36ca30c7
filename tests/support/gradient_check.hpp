#pragma once
// Central-difference gradient check of a whole model, every parameter and
// every input: test_layer's comparison (typenet/testing/test_layer.hpp) over
// the whole graph, which checks the wiring between the layers too. The loss
// is a fixed random projection of the output, L = sum r_i y_i. Each value
// checked costs two forward passes, so of a big model's parameters, and of
// its inputs, a seeded sample of `most` is checked (each layer gets about its
// share of the parameters).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"

namespace typenet::testing {

struct GradientCheckReport {
    std::size_t checked = 0;
    std::size_t kinks = 0;
    std::vector<std::string> failures;
};

template <class M, std::size_t Rows = 2>
GradientCheckReport check_gradients(std::uint64_t seed = 1, std::size_t most = std::size_t(-1)) {
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
        const DerivativeComparison result = compare_derivative(loss, value, analytic);
        ++report.checked;
        if (result.kink) ++report.kinks;
        else if (!result.agree)
            report.failures.push_back(fmt::format("{}: numeric {} vs backward {}", what, result.numeric, analytic));
    };
    auto parameters = model.parameters();
    auto sample = [&](std::size_t count) {
        std::vector<std::size_t> chosen(count);
        for (std::size_t i = 0; i < count; ++i) chosen[i] = i;
        if (most < count) {
            random.shuffle(std::span(chosen));
            chosen.resize(most);
        }
        return chosen;
    };
    for (const std::size_t i : sample(M::parameter_count))
        check(parameters[i], grad_params[i], fmt::format("parameter {}", i));
    for (const std::size_t i : sample(in_size)) check(input[i], grad_input[i], fmt::format("input {}", i));
    return report;
}

}  // namespace typenet::testing
