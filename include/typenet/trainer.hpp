#pragma once
// A Trainer owns what training needs beside the model's parameters: the
// gradients, the optimizer's state and, per thread, a workspace of the batch
// capacity. A step splits its rows into one contiguous share per thread;
// each thread copies its own rows in, and the shares' gradients are summed in
// a fixed order, so results depend on the seed and the thread count only.
// The loss says what the targets are (targets.hpp) and how a batch's terms
// are averaged (reduction.hpp); loss_input.hpp says which layers run before it.
//
// Training runs each layer's training phase (layer.hpp). A layer that needs
// the whole batch's statistics (BatchNormalization) cuts the step into
// stages: the shares run up to it and write their sums, the calling thread
// adds the sums in share order, and the next stage goes on from there, forward
// and again backward. So a step computes the same whichever thread runs which
// share, at the cost of two more hand-overs to the threads per such layer.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "typenet/cache_lines.hpp"
#include "typenet/dispatch.hpp"
#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/optimizers.hpp"
#include "typenet/loss_input.hpp"
#include "typenet/losses.hpp"
#include "typenet/model.hpp"
#include "typenet/optimizers.hpp"
#include "typenet/targets.hpp"
#include "typenet/workers.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

// Every core this machine has.
inline std::size_t available_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

template <class M, GradientOptimizer Optimizer, LossFunction Loss, std::size_t Capacity>
class Trainer {
public:
    using model_type = M;
    using loss_type = Loss;
    using graph = typename M::graph;
    using input_shape = typename M::input_shape;
    using output_shape = typename M::output_shape;
    // What the loss reads and through which layers (loss_input.hpp); the loss it computes there.
    using loss_input = LossInput<M, Loss>;
    // Instantiated here, so that a loss that cannot work with this model's
    // last layer is refused where the trainer is named.
    static_assert(sizeof(loss_input) > 0);
    using target = typename Loss::target;
    static constexpr std::size_t capacity = Capacity;
    // A class index must be one of these (for ClassIndex targets, a flat output has a score a class).
    static constexpr std::size_t classes = output_shape::dims[output_shape::rank - 1];

    explicit Trainer(M& model, Optimizer optimizer = {}, std::size_t threads = 1)
        : model_(&model), optimizer_(optimizer), state_(M::parameter_count), workers_(std::min(threads, max_threads)) {
        for (std::size_t t = 0; t < workers_.size(); ++t) shares_.push_back(std::make_unique<Share>());
    }

    // The seed of what layers draw in training (dropout's masks), with the
    // step count: a step draws from (seed, step, layer, row), so a run resumed
    // from a checkpoint with its seed and optimizer state draws what it would have.
    void set_seed(std::uint64_t seed) { seed_ = seed; }
    std::uint64_t seed() const { return seed_; }

    M& model() { return *model_; }
    const M& model() const { return *model_; }
    std::size_t threads() const { return workers_.size(); }
    // Whether the threads or the calling thread alone run a step's shares (see dispatch.hpp).
    Dispatch& dispatch() { return dispatch_; }
    Optimizer& optimizer() { return optimizer_; }
    // The program may change the state through this (load a checkpoint into
    // it, say), so the next step checks its update exactly, not from the
    // bound the last update left (see step()). A reference kept and written
    // through after later steps is not seen: take it again.
    typename Optimizer::State& optimizer_state() {
        largest_state_ = std::numeric_limits<float>::infinity();
        return state_;
    }
    const typename Optimizer::State& optimizer_state() const { return state_; }
    // The first thread's workspace: after a single-threaded step it holds that
    // step's activations, up to what the loss read (loss_input.hpp: where
    // training reads logits, the last activation holds them, or a last
    // Softmax's output is not computed).
    Workspace<M, Capacity>& workspace() { return shares_[0]->workspace; }
    // After compute_gradients(), the gradients summed over the threads; after
    // backward(), that pass's. (A step leaves each thread's slice of the sum in
    // that thread's own buffer, so after step() this is not the whole sum.)
    std::span<const float> gradients() const { return shares_[0]->gradients.span(); }

    // One step on rows of inputs and targets: forward, loss, backward, update.
    // Returns the batch's loss, reduced as the loss says (for MSE the mean
    // over the rows' elements). Throws NumericalError, changing nothing
    // (weights, optimizer state, step count), when the loss, a gradient, or a
    // value the update would write is not finite. Targets are rows of the
    // output's shape, or class indices (one a row) for a loss whose target
    // is ClassIndex: a label outside the classes is a DataError naming its
    // row, and changes nothing either.
    template <class Arch = kernels::native_arch>
    double step(std::span<const float> inputs, std::span<const float> targets) {
        return step<Arch>(check_rows(inputs, targets), row_in_spans(inputs, targets));
    }
    template <class Arch = kernels::native_arch>
    double step(std::span<const float> inputs, std::span<const std::int32_t> labels) {
        return step<Arch>(check_rows(inputs, labels), row_in_spans(inputs, labels));
    }
    template <class Arch = kernels::native_arch>
    double step(std::span<const float> inputs, std::span<const std::uint8_t> labels) {
        return step<Arch>(check_rows(inputs, labels), row_in_spans(inputs, labels));
    }

    // The same on a batch given by where its rows already are: row_of(r) returns
    // the BatchRow of row r < rows (a LabelledRow, for class indices). Each
    // thread copies the rows it needs itself,
    // so no core writes memory another core is about to read; row_of is called
    // from every training thread at once.
    //
    // Whether the update is finite is decided, in the common case, from two
    // numbers: the largest |gradient|, found by the pass that checks the
    // gradients anyway (it is bound by memory, so this costs nothing), and the
    // largest magnitude of the state the last update wrote, which the update
    // kept in a register. When they prove nothing (an absurd learning rate,
    // epsilon 0, huge gradients, a state the program changed), a read-only
    // pass computes every new value first, and the update runs only if all
    // are finite.
    template <class Arch = kernels::native_arch, class RowOf>
    double step(std::size_t rows, RowOf row_of) {
        static_assert(std::is_same_v<std::invoke_result_t<RowOf&, std::size_t>, typename target::row>,
                      "typenet: row_of(r) must return the loss's kind of row: a BatchRow (input and target rows) "
                      "for targets of the output's shape, a LabelledRow (input row and class index) for class "
                      "indices");
        begin_batch(rows);
        const bool alone = dispatch_.alone();
        const auto start = std::chrono::steady_clock::now();
        const auto step = optimizer_.next_step(state_);
        const double loss = run_shares<Arch>(row_of, step.number, alone);
        // Each thread sums the shares' gradients over its slice of the parameters, into
        // its own share's (memory its core wrote last), then checks and updates that
        // slice: no thread waits for one to do all the summing. The other threads
        // have just read that slice of the weights; it becomes this core's now,
        // while the update that will write it waits (cache_lines.hpp).
        const auto slices = parameter_slices();
        const bool team = shares_.size() > 1 && !alone;
        auto sum_and_measure = [&](std::size_t t) {
            if (team) claim_cache_lines(model_->parameters().subspan(slices[t], slices[t + 1] - slices[t]));
            shares_[t]->slice_gradients = sum_gradients<Arch>(slices[t], slices[t + 1], t);
        };
        workers_.run(sum_and_measure, alone);
        kernels::Magnitudes gradient_magnitudes;
        for (const auto& share : shares_) {
            gradient_magnitudes.non_finite += share->slice_gradients.non_finite;
            gradient_magnitudes.largest = std::max(gradient_magnitudes.largest, share->slice_gradients.largest);
        }
        if (gradient_magnitudes.non_finite > 0 || !std::isfinite(loss)) {
            gather_gradient_sum(slices);
            report_non_finite(loss);
        }
        if (!optimizer_.certainly_finite(step, gradient_magnitudes.largest, largest_state_))
            check_update<Arch>(step, slices, gradient_magnitudes.largest, alone);
        auto update = [&](std::size_t t) {
            Share& share = *shares_[t];
            share.slice_largest_state = 0.0f;
            apply_to_slice<Arch, kernels::Pass::write>(step, slices, t, [&](std::size_t, float largest) {
                share.slice_largest_state = std::max(share.slice_largest_state, largest);
            });
        };
        workers_.run(update, alone);
        largest_state_ = 0.0f;
        for (const auto& share : shares_) largest_state_ = std::max(largest_state_, share->slice_largest_state);
        learn_from_batch(step.number);
        state_.step = step.number;
        dispatch_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        return loss;
    }

    // The last step's loss in its parts, each reduced as the step's loss is:
    // the loss's own, then each loss term a layer adds (layer.hpp), under
    // loss_part_names; the step returned their sum.
    static constexpr auto& loss_part_names = loss_input::part_names;
    std::span<const double, loss_input::loss_term_count + 1> loss_parts() const { return loss_parts_; }

    // How many of the last step's predictions the loss's accuracy judged right
    // (accuracy.hpp), from the outputs before its update; 0 for a loss with none.
    std::size_t correct_predictions() const { return correct_predictions_; }

    // Forward, loss and backward of a batch, without the update: the gradients
    // are then in gradients().
    template <class Arch = kernels::native_arch, class Target>
    double compute_gradients(std::span<const float> inputs, std::span<const Target> targets) {
        const std::size_t rows = check_rows(inputs, targets);
        begin_batch(rows);
        // Always on the team: this is for tests and tools, not timed steps.
        const double loss = run_shares<Arch>(row_in_spans(inputs, targets), detail::next_step_number(state_.step), false);
        sum_gradients<Arch>(0, M::parameter_count, 0);
        return loss;
    }
    template <class Arch = kernels::native_arch>
    double compute_gradients(std::span<const float> inputs, std::span<const float> targets) {
        return compute_gradients<Arch, float>(inputs, targets);
    }

    // Backward through every layer, on the first thread, from the gradient of
    // the loss already in workspace().gradient(layer_count), over the activations
    // a forward pass left in workspace(): run it on inputs placed in
    // workspace().activation(0), which is where backward reads them. With
    // input_gradient, also writes dLoss/dinput into workspace().gradient(0).
    template <class Arch = kernels::native_arch>
    void backward(std::size_t rows, bool input_gradient) {
        check_batch_rows(rows);
        backward_layers<0, WholeModel::layers, Phase::inference, Arch, WholeModel>(*shares_[0], rows, input_gradient, 0);
    }

private:
    static constexpr std::size_t max_threads = 256;
    // Where each thread's slice of the parameters starts, and the last one ends.
    using Slices = std::array<std::size_t, max_threads + 1>;
    using LayerNonFinite = std::array<kernels::NonFinite, graph::layer_count>;
    // The floats of each layer the optimizer trains (its statistics it learns itself).
    static constexpr auto layer_trained_counts = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<std::size_t, graph::layer_count>{trained_floats(graph::template bound<I>::tensors)...};
    }(std::make_index_sequence<graph::layer_count>{});

    // Every workspace holds Capacity rows: more would be written past its end.
    static void check_batch_rows(std::size_t rows) {
        if (rows == 0 || rows > Capacity)
            throw UsageError(fmt::format("typenet: a batch holds 1 to {} rows, not {}", Capacity, rows));
    }

    void begin_batch(std::size_t rows) {
        check_batch_rows(rows);
        batch_rows_ = rows;
        const std::size_t n = shares_.size();
        for (std::size_t t = 0; t < n; ++t) {
            shares_[t]->first = t * rows / n;
            shares_[t]->rows = (t + 1) * rows / n - shares_[t]->first;
        }
    }

    // Targets as spans: rows of the output's shape, or class indices.
    template <class Target>
    static auto row_in_spans(std::span<const float> inputs, std::span<const Target> targets) {
        if constexpr (std::is_same_v<Target, float>) {
            static_assert(std::is_same_v<target, OutputShaped>,
                          "typenet: this loss takes class indices as targets, one a row: pass them as "
                          "std::span<const std::int32_t> or std::span<const std::uint8_t>");
            return [inputs, targets](std::size_t r) {
                return BatchRow{inputs.data() + r * input_shape::size, targets.data() + r * output_shape::size};
            };
        } else {
            static_assert(ClassLabel<Target>, "typenet: targets are floats, or class indices as std::int32_t or "
                                              "std::uint8_t");
            static_assert(std::is_same_v<target, ClassIndex>,
                          "typenet: this loss takes targets of the output's shape (floats), not class indices; for "
                          "class indices use SparseCategoricalCrossentropy");
            return [inputs, targets](std::size_t r) {
                return LabelledRow{inputs.data() + r * input_shape::size, static_cast<std::int32_t>(targets[r])};
            };
        }
    }

    // The layers training runs (loss_input.hpp), and among them those that
    // need the whole batch's statistics, where a step is cut into stages.
    static constexpr std::size_t trained_layers = loss_input::layers;
    template <std::size_t I>
    static constexpr bool needs_batch = HasBatchStatistics<typename loss_input::template bound<I>>;
    static constexpr auto batch_layers = [] {
        constexpr std::size_t count = []<std::size_t... I>(std::index_sequence<I...>) {
            return (std::size_t{0} + ... + std::size_t{needs_batch<I>});
        }(std::make_index_sequence<trained_layers>{});
        std::array<std::size_t, count> layers{};
        std::size_t next = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((needs_batch<I> ? void(layers[next++] = I) : void()), ...);
        }(std::make_index_sequence<trained_layers>{});
        return layers;
    }();
    static constexpr std::size_t batch_layer_count = batch_layers.size();
    template <class B>
    static constexpr std::size_t batch_sums_of() {
        if constexpr (HasBatchStatistics<B>) return B::batch_sums;
        else return 0;
    }
    // Where each layer's sums start in a buffer of sums; sum_offsets[trained_layers] is their total.
    static constexpr auto sum_offsets = []<std::size_t... I>(std::index_sequence<I...>) {
        std::array<std::size_t, trained_layers + 1> offsets{};
        std::size_t next = 0;
        ((offsets[I] = next, next += batch_sums_of<typename loss_input::template bound<I>>()), ...);
        offsets[trained_layers] = next;
        return offsets;
    }(std::make_index_sequence<trained_layers>{});
    // Stage S runs forward from layer stage_begin(S) (a batch layer, but for
    // the first) up to the next batch layer, or to the loss.
    static constexpr std::size_t stage_begin(std::size_t stage) { return stage == 0 ? 0 : batch_layers[stage - 1]; }
    static constexpr std::size_t stage_end(std::size_t stage) {
        return stage == batch_layer_count ? trained_layers : batch_layers[stage];
    }

    // Sums the shares' gradients over [first, last), in share order, into share
    // into's, and measures the sums as it writes them.
    template <class Arch>
    kernels::Magnitudes sum_gradients(std::size_t first, std::size_t last, std::size_t into) {
        float* sums = shares_[into]->gradients.data() + first;
        if (shares_.size() == 1) return kernels::magnitudes<Arch>(sums, last - first);  // one share is its own sum
        std::array<const float*, max_threads> sources{};
        for (std::size_t t = 0; t < shares_.size(); ++t) sources[t] = shares_[t]->gradients.data() + first;
        return kernels::sum_in_order_measured<Arch>(sums, sources.data(), shares_.size(), last - first);
    }

    // One slice of the parameters per thread, each starting on a cache line.
    Slices parameter_slices() const {
        Slices slices{};
        const std::size_t n = shares_.size();
        for (std::size_t t = 0; t <= n; ++t)
            slices[t] = std::min(M::parameter_count, align_up(t * M::parameter_count / n));
        slices[n] = M::parameter_count;
        return slices;
    }

    // The optimizer's pass over slice t of the parameters, with the slice's
    // gradient sum, layer by layer: kept(layer, what the pass returned) for
    // each layer's part of the slice. The padding after each layer is left
    // out: its zeros would give 0/0 under epsilon 0, where no weight is; so
    // are the statistics a layer learns itself (TensorRole).
    template <class Arch, kernels::Pass P, class Kept>
    void apply_to_slice(const typename Optimizer::Step& step, const Slices& slices, std::size_t t, Kept kept) {
        for (std::size_t layer = 0; layer < graph::layer_count; ++layer) {
            const std::size_t first = std::max(slices[t], graph::parameter_offsets[layer]);
            const std::size_t last =
                std::min(slices[t + 1], graph::parameter_offsets[layer] + layer_trained_counts[layer]);
            if (first < last)
                kept(layer, optimizer_.template apply<Arch, P>(step, model_->parameters().subspan(first, last - first),
                                                               shares_[t]->gradients.span().subspan(first, last - first),
                                                               state_, first));
        }
    }

    // The exact check: every new value computed, none written. Throws
    // NumericalError, saying which layers, when any would not be finite.
    template <class Arch>
    void check_update(const typename Optimizer::Step& step, const Slices& slices, float largest_gradient, bool alone) {
        std::array<LayerNonFinite, max_threads> found{};
        auto probe = [&](std::size_t t) {
            apply_to_slice<Arch, kernels::Pass::probe>(
                step, slices, t, [&](std::size_t layer, kernels::NonFinite non_finite) { found[t][layer] = non_finite; });
        };
        workers_.run(probe, alone);
        LayerNonFinite layers{};
        for (std::size_t t = 0; t < shares_.size(); ++t)
            for (std::size_t layer = 0; layer < graph::layer_count; ++layer) layers[layer] += found[t][layer];
        if (std::any_of(layers.begin(), layers.end(), [](const kernels::NonFinite& layer) { return layer.total() > 0; }))
            report_non_finite_update(step, largest_gradient, layers);
    }

    // Each thread left its slice of the gradient sum in its own share: the whole sum in one place, to describe it.
    void gather_gradient_sum(const Slices& slices) {
        for (std::size_t t = 1; t < shares_.size(); ++t)
            std::copy(shares_[t]->gradients.data() + slices[t], shares_[t]->gradients.data() + slices[t + 1],
                      shares_[0]->gradients.data() + slices[t]);
    }

    // Says which layers' gradients went bad, and how.
    [[noreturn]] void report_non_finite(double loss) const {
        const float* gradients = shares_[0]->gradients.data();
        std::string message = fmt::format("the loss is {}", loss);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (describe_layer<I>(gradients, message), ...);
        }(std::make_index_sequence<graph::layer_count>{});
        throw NumericalError(message);
    }

    template <std::size_t I>
    static void describe_layer(const float* gradients, std::string& message) {
        using B = typename graph::template bound<I>;
        const float* first = gradients + graph::parameter_offsets[I];
        std::size_t nan = 0, infinite = 0;
        for (std::size_t i = 0; i < B::parameter_count; ++i) {
            nan += std::isnan(first[i]);
            infinite += std::isinf(first[i]);
        }
        if (nan + infinite > 0)
            message += fmt::format("; layer {} ({}) has {} NaN and {} infinite gradients among {}", I, B::kind, nan,
                                   infinite, B::parameter_count);
    }

    // Says which layers' update would not be finite, and how much of it.
    [[noreturn]] void report_non_finite_update(const typename Optimizer::Step& step, float largest_gradient,
                                               const LayerNonFinite& layers) const {
        std::string message = fmt::format("the update of step {} would not be finite (the largest gradient is {})",
                                          step.number, largest_gradient);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (describe_update<I>(layers[I], message), ...);
        }(std::make_index_sequence<graph::layer_count>{});
        throw NumericalError(message + "; nothing was changed");
    }

    template <std::size_t I>
    static void describe_update(const kernels::NonFinite& non_finite, std::string& message) {
        using B = typename graph::template bound<I>;
        if (non_finite.total() > 0)
            message += fmt::format("; layer {} ({}): it would make {} of its {} weights and {} of its {} non-finite", I,
                                   B::kind, non_finite.weights, B::parameter_count, non_finite.state,
                                   Optimizer::state_name);
    }

    // A share's copy of its rows' targets.
    using TargetBuffer = std::conditional_t<std::is_same_v<target, OutputShaped>, AlignedFloats,
                                            std::vector<std::int32_t>>;

    struct Share {
        Workspace<M, Capacity> workspace;
        AlignedFloats gradients{M::parameter_count};
        TargetBuffer targets = TargetBuffer(Capacity * target::template per_row<output_shape>);
        std::size_t first = 0, rows = 0;
        double loss_sum = 0.0;
        std::size_t correct = 0;
        // This thread's slice of the step's update: its gradients' Magnitudes, and
        // the largest magnitude of the optimizer state the update wrote there.
        kernels::Magnitudes slice_gradients;
        float slice_largest_state = 0.0f;
        // This share's part of the sums its batch layers need, forward and then backward.
        std::vector<double> sums = std::vector<double>(sum_offsets[trained_layers]);
        // The sums over its rows of the layers' loss terms.
        std::array<double, loss_input::loss_term_count> loss_terms{};
    };

public:
    // What training takes beside the model's parameters, in bytes, known at
    // compile time: per thread, its workspace (activations, their gradients,
    // scratch), its share of the gradients, a copy of its rows' targets and
    // its sums for batch statistics; and once, the optimizer's state.
    //   static_assert(2 * MyTrainer::bytes_per_thread + MyTrainer::optimizer_state_bytes < (64 << 20));
    static constexpr std::size_t bytes_per_thread =
        sizeof(Share) + Workspace<M, Capacity>::bytes + aligned_bytes(M::parameter_count) +
        (std::is_same_v<target, OutputShaped> ? aligned_bytes(Capacity * output_shape::size)
                                              : Capacity * sizeof(std::int32_t)) +
        sum_offsets[trained_layers] * sizeof(double);
    static constexpr std::size_t optimizer_state_bytes = Optimizer::state_bytes(M::parameter_count);

private:
    template <class Arch, class RowOf>
    double run_shares(const RowOf& row_of, std::int64_t step, bool alone) {
        using reduction = typename loss_input::loss::reduction;
        const float scale = reduction::template gradient_scale<output_shape>(batch_rows_);
        [&]<std::size_t... S>(std::index_sequence<S...>) {
            (run_forward_stage<S, Arch>(row_of, step, scale, alone), ...);
        }(std::make_index_sequence<batch_layer_count + 1>{});
        [&]<std::size_t... S>(std::index_sequence<S...>) {
            (run_backward_stage<batch_layer_count - 1 - S, Arch>(step, alone), ...);
        }(std::make_index_sequence<batch_layer_count>{});
        double loss_sum = 0.0;
        std::array<double, loss_input::loss_term_count> term_sums{};
        correct_predictions_ = 0;
        for (const auto& share : shares_) {
            loss_sum += share->loss_sum;
            for (std::size_t k = 0; k < term_sums.size(); ++k) term_sums[k] += share->loss_terms[k];
            correct_predictions_ += share->correct;
        }
        loss_parts_[0] = reduction::template mean<output_shape>(loss_sum, batch_rows_);
        double loss = loss_parts_[0];
        for (std::size_t k = 0; k < term_sums.size(); ++k)
            loss += loss_parts_[k + 1] = term_sums[k] / static_cast<double>(batch_rows_);
        return loss;
    }

    // Forward stage S on every share; the last stage goes on through the loss
    // and backward down to the last batch layer. Then the sums the next stage
    // needs are added up.
    template <std::size_t S, class Arch, class RowOf>
    void run_forward_stage(const RowOf& row_of, std::int64_t step, float scale, bool alone) {
        constexpr std::size_t begin = stage_begin(S), end = stage_end(S);
        auto job = [&](std::size_t t) {
            Share& share = *shares_[t];
            if constexpr (S == 0) copy_rows_in(share, row_of);
            if (share.rows == 0) return;  // fewer rows than threads: this share adds nothing
            forward_layers<begin, end, Arch>(share, step);
            if constexpr (S < batch_layer_count) {
                using B = typename loss_input::template bound<end>;
                B::template sum_forward<Arch>(share.workspace.activation(end), share.rows,
                                              share.sums.data() + sum_offsets[end]);
            } else {
                loss_and_backward<Arch>(share, step, scale);
            }
        };
        workers_.run(job, alone);
        if constexpr (S < batch_layer_count) add_share_sums(sum_offsets[end], sum_offsets[end + 1], batch_sums_);
    }

    // Backward through batch layer S and down to the one before it (or the input).
    template <std::size_t S, class Arch>
    void run_backward_stage(std::int64_t step, bool alone) {
        constexpr std::size_t layer = batch_layers[S];
        add_share_sums(sum_offsets[layer], sum_offsets[layer + 1], gradient_sums_);
        constexpr std::size_t down_to = S == 0 ? 0 : batch_layers[S - 1];
        auto job = [&](std::size_t t) {
            Share& share = *shares_[t];
            if (share.rows == 0) return;
            backward_layers<down_to + (S == 0 ? 0 : 1), layer + 1, Phase::training, Arch, loss_input>(
                share, share.rows, false, step);
            if constexpr (S > 0) sum_backward<down_to, Arch>(share, step);
        };
        workers_.run(job, alone);
    }

    // Each thread copies its own rows in, so no core writes memory another is about to read.
    template <class RowOf>
    void copy_rows_in(Share& share, const RowOf& row_of) {
        share.loss_sum = 0.0;
        share.loss_terms = {};
        share.correct = 0;
        if (share.rows == 0) {
            std::fill_n(share.gradients.data(), M::parameter_count, 0.0f);
            std::fill(share.sums.begin(), share.sums.end(), 0.0);
            return;
        }
        for (std::size_t r = 0; r < share.rows; ++r) {  // every row's start at once (cache_lines.hpp)
            const auto row = row_of(share.first + r);
            prefetch_row_start(row.input, input_shape::size);
            if constexpr (std::is_same_v<target, OutputShaped>)
                if (row.target != row.input) prefetch_row_start(row.target, output_shape::size);
        }
        auto& workspace = share.workspace;
        for (std::size_t r = 0; r < share.rows; ++r) {
            const auto row = row_of(share.first + r);
            std::copy_n(row.input, input_shape::size, workspace.activation(0) + r * input_shape::size);
            if constexpr (std::is_same_v<target, OutputShaped>) {
                std::copy_n(row.target, output_shape::size, share.targets.data() + r * output_shape::size);
            } else {
                if (!names_a_class(row.label, classes))
                    throw label_out_of_range(share.first + r, row.label, classes, "the batch");
                share.targets[r] = row.label;
            }
        }
    }

    template <class Arch>
    void loss_and_backward(Share& share, std::int64_t step, float scale) {
        auto& workspace = share.workspace;
        const float* loss_reads = workspace.activation(trained_layers);
        share.loss_sum = loss_input::loss::template sum<Arch, output_shape>(
            loss_reads, share.targets.data(), share.rows, scale, workspace.gradient(trained_layers));
        if constexpr (HasAccuracy<Loss>)
            share.correct = Loss::accuracy::template correct<output_shape>(loss_reads, share.targets.data(),
                                                                           share.rows, loss_input::scores);
        add_loss_terms<Arch>(share);
        if constexpr (batch_layer_count == 0) {
            backward_layers<0, trained_layers, Phase::training, Arch, loss_input>(share, share.rows, false, step);
        } else {
            constexpr std::size_t last = batch_layers[batch_layer_count - 1];
            backward_layers<last + 1, trained_layers, Phase::training, Arch, loss_input>(share, share.rows, false, step);
            sum_backward<last, Arch>(share, step);
        }
    }

    // The share's sums of the layers' loss terms, from the activations its forward pass left.
    template <class Arch>
    void add_loss_terms(Share& share) {
        if constexpr (loss_input::loss_term_count > 0) {
            const float* parameters = model_->parameters().data();
            std::size_t next = 0;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                const auto add = [&]<std::size_t L>(std::integral_constant<std::size_t, L>) {
                    using B = typename loss_input::template bound<L>;
                    if constexpr (HasLossTerm<B>)
                        share.loss_terms[next++] = B::template loss_term<Arch>(
                            parameters + graph::parameter_offsets[L], share.workspace.activation(L),
                            share.workspace.activation(L + 1), share.rows);
                };
                (add(std::integral_constant<std::size_t, I>{}), ...);
            }(std::make_index_sequence<trained_layers>{});
        }
    }

    // Into totals, over [first, last): the shares' sums, added in share order.
    void add_share_sums(std::size_t first, std::size_t last, std::vector<double>& totals) {
        for (std::size_t i = first; i < last; ++i) {
            double total = 0.0;
            for (const auto& share : shares_) total += share->sums[i];
            totals[i] = total;
        }
    }

    template <std::size_t I>
    TrainingPass pass_of(const Share& share, std::int64_t step) const {
        return {.seed = seed_, .step = step, .layer = I, .first_row = share.first, .batch_rows = batch_rows_,
                .batch_sums = batch_sums_.data() + sum_offsets[I], .gradient_sums = gradient_sums_.data() + sum_offsets[I],
                .loss_term_scale = 1.0f / static_cast<float>(batch_rows_)};
    }

    // Layers From..To-1 forward, each in its training phase if it has one.
    template <std::size_t From, std::size_t To, class Arch>
    void forward_layers(Share& share, std::int64_t step) {
        const float* parameters = model_->parameters().data();
        auto& workspace = share.workspace;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (forward_layer<From + I, Arch>(share, parameters + graph::parameter_offsets[From + I],
                                          workspace.activation(From + I), workspace.activation(From + I + 1), step),
             ...);
        }(std::make_index_sequence<To - From>{});
    }

    template <std::size_t I, class Arch>
    void forward_layer(Share& share, const float* parameters, const float* x, float* y, std::int64_t step) {
        using B = typename loss_input::template bound<I>;
        if constexpr (graph::reads_skip(I))
            B::template forward<Arch>(parameters, x, share.workspace.activation(graph::skip_of[I]), y, share.rows,
                                      share.workspace.scratch());
        else if constexpr (HasTrainingPhase<B>)
            B::template train_forward<Arch>(parameters, x, y, share.rows, share.workspace.scratch(),
                                            pass_of<I>(share, step));
        else
            B::template forward<Arch>(parameters, x, y, share.rows, share.workspace.scratch());
    }

    template <std::size_t I, class Arch>
    void sum_backward(Share& share, std::int64_t step) {
        using B = typename loss_input::template bound<I>;
        B::template sum_backward<Arch>(model_->parameters().data() + graph::parameter_offsets[I],
                                       share.workspace.activation(I), share.workspace.gradient(I + 1), share.rows,
                                       pass_of<I>(share, step), share.sums.data() + sum_offsets[I]);
    }

    // What the batch layers learn from a step that landed: their moving statistics.
    void learn_from_batch(std::int64_t step) {
        if constexpr (batch_layer_count > 0) {
            float* parameters = model_->parameters().data();
            [&]<std::size_t... S>(std::index_sequence<S...>) {
                (loss_input::template bound<batch_layers[S]>::learn(
                     parameters + graph::parameter_offsets[batch_layers[S]], pass_of<batch_layers[S]>(*shares_[0], step)),
                 ...);
            }(std::make_index_sequence<batch_layer_count>{});
        }
    }


    // The layers backward runs through: the model's, or those training runs
    // (loss_input), each with layers and bound<I>.
    struct WholeModel {
        static constexpr std::size_t layers = graph::layer_count;
        template <std::size_t I>
        using bound = typename graph::template bound<I>;
    };

    // Layers To-1 down to From backward, in phase P.
    template <std::size_t From, std::size_t To, Phase P, class Arch, class Layers>
    void backward_layers(Share& share, std::size_t rows, bool input_gradient, std::int64_t step) {
        const float* parameters = model_->parameters().data();
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (backward_layer<To - 1 - I, P, Arch, typename Layers::template bound<To - 1 - I>>(
                 share, parameters, rows, input_gradient, step),
             ...);
        }(std::make_index_sequence<To - From>{});
    }

    template <std::size_t I, Phase P, class Arch, class B>
    void backward_layer(Share& share, const float* parameters, std::size_t rows, bool input_gradient,
                        std::int64_t step) {
        auto& workspace = share.workspace;
        if constexpr (graph::is_tag[I]) {
            if (graph::needs_input_gradient(I, input_gradient)) add_skip_gradients<I, Arch>(workspace, rows);
        } else if constexpr (!B::is_view) {
            float* dx = graph::needs_input_gradient(I, input_gradient) ? workspace.gradient(I) : nullptr;
            const float* params = parameters + graph::parameter_offsets[I];
            float* grad = share.gradients.data() + graph::parameter_offsets[I];
            if constexpr (graph::reads_skip(I)) {
                constexpr std::size_t skip = graph::skip_of[I];
                float* dskip = graph::needs_input_gradient(skip, input_gradient) ? workspace.skip_gradient(I) : nullptr;
                B::template backward<Arch>(params, workspace.activation(I), workspace.activation(skip),
                                           workspace.activation(I + 1), workspace.gradient(I + 1), dx, dskip, grad,
                                           rows, workspace.scratch());
            } else if constexpr (P == Phase::training && HasTrainingPhase<B>)
                B::template train_backward<Arch>(params, workspace.activation(I), workspace.activation(I + 1),
                                                 workspace.gradient(I + 1), dx, grad, rows, workspace.scratch(),
                                                 pass_of<I>(share, step));
            else
                B::template backward<Arch>(params, workspace.activation(I), workspace.activation(I + 1),
                                           workspace.gradient(I + 1), dx, grad, rows, workspace.scratch());
        }
    }

    // At Tag T in backward: the gradients its merges sent to the activation it
    // names, added into that activation's gradient in the merges' order.
    template <std::size_t T, class Arch>
    static void add_skip_gradients(Workspace<M, Capacity>& workspace, std::size_t rows) {
        constexpr auto readers = [] {
            std::array<std::size_t, graph::layer_count> merges{};
            std::size_t count = 0;
            for (std::size_t m = 0; m < graph::layer_count; ++m)
                if (graph::skip_of[m] == T) merges[count++] = m;
            return std::pair{merges, count};
        }();
        std::array<const float*, readers.second + 1> sources{};
        sources[0] = workspace.gradient(T);
        for (std::size_t r = 0; r < readers.second; ++r) sources[r + 1] = workspace.skip_gradient(readers.first[r]);
        kernels::sum_in_order<Arch>(workspace.gradient(T), sources.data(), sources.size(),
                                    rows * graph::activation_sizes[T]);
    }

    template <class Target>
    std::size_t check_rows(std::span<const float> inputs, std::span<const Target> targets) const {
        constexpr std::size_t per_row = std::is_same_v<Target, float> ? output_shape::size : 1;
        const std::size_t rows = inputs.size() / input_shape::size;
        if (inputs.empty() || inputs.size() % input_shape::size != 0 || rows > Capacity ||
            targets.size() != rows * per_row)
            throw UsageError(fmt::format("typenet: a step takes 1 to {} rows of {} inputs and {} {} each; got {} "
                                         "input floats and {} {}",
                                         Capacity, input_shape::size, per_row,
                                         std::is_same_v<Target, float> ? "targets" : "class index", inputs.size(),
                                         targets.size(), std::is_same_v<Target, float> ? "target floats" : "labels"));
        return rows;
    }

    M* model_;
    Optimizer optimizer_;
    typename Optimizer::State state_;
    Workers workers_;
    Dispatch dispatch_;
    std::vector<std::unique_ptr<Share>> shares_;
    std::size_t batch_rows_ = 0;
    std::array<double, loss_input::loss_term_count + 1> loss_parts_{};
    std::size_t correct_predictions_ = 0;
    std::uint64_t seed_ = 0;
    // The whole batch's sums of the batch layers, forward and backward, as the shares' sums added in share order.
    std::vector<double> batch_sums_ = std::vector<double>(sum_offsets[trained_layers]);
    std::vector<double> gradient_sums_ = std::vector<double>(sum_offsets[trained_layers]);
    // At least the largest magnitude of the state the optimizer's bound needs
    // (Adam's m, SGD's velocity): 0 for the fresh state, what the last update
    // wrote after a step, infinite (unknown) once the program had the state.
    float largest_state_ = 0.0f;
};

}  // namespace typenet
