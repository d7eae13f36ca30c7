#pragma once
// The training phase of a whole model against central differences of the
// loss the trainer computes (Trainer::compute_gradients): every stage, the
// exchanges of batch statistics, dropout's masks (the same for each call, as
// the step count does not move without an update) and, in a graph, the skips.
// Up to 40 seeded parameters of each trained tensor.
#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "typenet/io/model_tensors.hpp"
#include "typenet/testing/test_layer.hpp"
#include "typenet/typenet.hpp"

namespace typenet::testing {

template <class T, class Target>
void expect_training_gradients_match(T& trainer, std::span<const float> inputs, std::span<const Target> targets,
                                     std::uint64_t seed) {
    using M = typename T::model_type;
    auto loss = [&] { return trainer.compute_gradients(inputs, targets); };
    loss();
    const std::vector<float> analytic(trainer.gradients().begin(), trainer.gradients().end());
    Random pick(seed);
    std::size_t checked = 0, kinks = 0;
    for (const auto& tensor : io::model_tensors<M>) {
        if (tensor.info.role != TensorRole::trained) continue;
        for (std::size_t k = 0; k < std::min<std::size_t>(tensor.info.size(), 40); ++k) {
            const std::size_t at = tensor.parameter_offset + pick.below(tensor.info.size());
            const auto result = compare_derivative(loss, trainer.model().parameters()[at], analytic[at]);
            ++checked;
            if (result.kink) ++kinks;
            else EXPECT_TRUE(result.agree) << "layer " << tensor.layer << " " << tensor.info.name << " at " << at
                                           << ": analytic " << analytic[at] << ", numeric " << result.numeric;
        }
    }
    EXPECT_LE(kinks * 20, checked);
}

}  // namespace typenet::testing
