#pragma once
// A Trainer owns what training needs beside the model's parameters: the
// gradients, the optimizer's state and a workspace of the batch capacity.
#include <cstddef>
#include <cstring>
#include <span>
#include <type_traits>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/model.hpp"

namespace typenet {

// Appears in compiler notes with both shapes when a model's output and its targets differ.
template <class OutputShape, class TargetShape>
struct target_check {
    static constexpr bool value = std::is_same_v<OutputShape, TargetShape>;
    static_assert(value, "typenet: the model's output shape differs from the target's shape");
};

template <class M, class Optimizer, class Loss, std::size_t Capacity>
class Trainer {
public:
    using model_type = M;
    using loss_type = Loss;
    using graph = typename M::graph;
    using input_shape = typename M::input_shape;
    using output_shape = typename M::output_shape;
    static constexpr std::size_t capacity = Capacity;

    Trainer(M& model, Optimizer optimizer = {})
        : model_(&model), optimizer_(optimizer), state_(M::parameter_count), gradients_(M::parameter_count) {}

    M& model() { return *model_; }
    const M& model() const { return *model_; }
    Workspace<M, Capacity>& workspace() { return workspace_; }
    const Optimizer& optimizer() const { return optimizer_; }
    Optimizer& optimizer() { return optimizer_; }
    std::span<const float> gradients() const { return gradients_.span(); }
    typename Optimizer::State& optimizer_state() { return state_; }

    // One step on rows of inputs and targets: forward, loss, backward, update.
    // Returns the loss as a mean over the rows' elements.
    template <class Arch = kernels::native_arch>
    double step(std::span<const float> inputs, std::span<const float> targets) {
        const std::size_t rows = check_rows(inputs, targets);
        std::memcpy(workspace_.activation(0), inputs.data(), inputs.size_bytes());
        std::memcpy(target_buffer(), targets.data(), targets.size_bytes());
        return step_in_place<Arch>(rows);
    }

    // The same, on rows already placed in the workspace (input) and target_buffer().
    template <class Arch = kernels::native_arch>
    double step_in_place(std::size_t rows) {
        const double loss = compute_gradients<Arch>(rows);
        optimizer_.template update<Arch>(model_->parameters(), gradients_.span(), state_);
        return loss;
    }

    // Forward, loss and backward without the update: the gradients are then in gradients().
    template <class Arch = kernels::native_arch>
    double compute_gradients(std::size_t rows) {
        const std::size_t count = rows * output_shape::size;
        workspace_.set_rows(rows);
        const float* parameters = model_->parameters().data();
        Part<M, 0, graph::layer_count>::template forward<0, graph::layer_count, Arch>(parameters, workspace_, rows);
        const double loss_sum = Loss::template sum<Arch>(workspace_.activation(graph::layer_count), target_buffer(),
                                                         count, workspace_.gradient(graph::layer_count));
        backward<Arch>(rows, false);
        return loss_sum / static_cast<double>(count);
    }

    // Backward through every layer from the loss gradient in the workspace.
    // With input_gradient, also writes dLoss/dinput into workspace().gradient(0).
    template <class Arch = kernels::native_arch>
    void backward(std::size_t rows, bool input_gradient) {
        const float* parameters = model_->parameters().data();
        float* grads = gradients_.data();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (backward_layer<graph::layer_count - 1 - I, Arch>(parameters, grads, rows, input_gradient), ...);
        }(std::make_index_sequence<graph::layer_count>{});
    }

    float* target_buffer() { return targets_.data(); }

private:
    template <std::size_t I, class Arch>
    void backward_layer(const float* parameters, float* grads, std::size_t rows, bool input_gradient) {
        using B = typename graph::template bound<I>;
        if constexpr (!B::is_view) {
            float* dx = graph::template needs_input_gradient<0>(I, input_gradient) ? workspace_.gradient(I) : nullptr;
            B::template backward<Arch>(parameters + graph::parameter_offsets[I], workspace_.activation(I),
                                       workspace_.activation(I + 1), workspace_.gradient(I + 1), dx,
                                       grads + graph::parameter_offsets[I], rows, workspace_.scratch());
        }
    }

    std::size_t check_rows(std::span<const float> inputs, std::span<const float> targets) const {
        const std::size_t rows = inputs.size() / input_shape::size;
        if (inputs.empty() || inputs.size() % input_shape::size != 0 || rows > Capacity ||
            targets.size() != rows * output_shape::size)
            throw UsageError(fmt::format("typenet: a step takes 1 to {} rows of {} inputs and {} targets each; got {} "
                                         "input floats and {} target floats",
                                         Capacity, input_shape::size, output_shape::size, inputs.size(),
                                         targets.size()));
        return rows;
    }

    M* model_;
    Optimizer optimizer_;
    typename Optimizer::State state_;
    AlignedFloats gradients_;
    Workspace<M, Capacity> workspace_;
    AlignedFloats targets_{Capacity * output_shape::size};
};

}  // namespace typenet
