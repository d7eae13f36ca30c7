#pragma once
// fit and evaluate, as Keras's: epochs of shuffled batches, the last partial
// batch trained too, validation over every sample, one progress line an
// epoch, with the accuracy beside the loss for a loss that has one:
//   Epoch 1/10 - 1875/1875 steps - 2.31s - loss: 0.49891 - accuracy: 0.8252 - val_loss: 0.42690 - val_accuracy: 0.8469
// and, where layers add loss terms of their own (layer.hpp), the loss's parts beside it:
//   Epoch 1/10 - 1875/1875 steps - 16.93s - loss: 294.74334 - binary_crossentropy: 289.05384 - kl_loss: 5.68950 - val_loss: ...
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/loss_input.hpp"
#include "typenet/losses.hpp"
#include "typenet/random.hpp"
#include "typenet/samples.hpp"
#include "typenet/targets.hpp"
#include "typenet/trainer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct EpochRecord {
    std::size_t epoch = 0;  // counted from 1
    double loss = 0.0;      // over the epoch's training rows, reduced as the loss says
    double val_loss = NAN;  // NaN when there is no validation data
    double seconds = 0.0;   // shuffle and steps; validation excluded
    // For a loss with an accuracy (accuracy.hpp), the share of the epoch's
    // predictions judged right, as each step saw them before its update
    // (Keras's running metric); NaN for a loss without one.
    double accuracy = NAN;
    double val_accuracy = NAN;  // NaN without validation data or accuracy
    // Where layers add loss terms of their own (layer.hpp), the loss in its
    // parts, under part_names: the loss's own, then each term; loss is their
    // sum. Empty for a model without terms; val_loss_parts empty without validation data.
    std::span<const std::string_view> part_names = {};
    std::vector<double> loss_parts = {};
    std::vector<double> val_loss_parts = {};
};

using History = std::vector<EpochRecord>;

struct FitOptions {
    std::size_t epochs = 10;         // the total, counting epochs done before initial_epoch
    std::size_t initial_epoch = 0;   // epochs already done (Keras's name): training resumes after them
    std::size_t batch_size = 32;
    bool shuffle = true;
    std::uint64_t seed = 0;  // the shuffle's
    bool verbose = true;
    // The loss's accuracy (for a loss that has one) beside it; false is
    // Keras's compile() without metrics, for an autoencoder trained with
    // binary crossentropy, whose pixels are not classes to be right about.
    bool accuracy = true;
    std::function<void(const EpochRecord&)> on_epoch_end = {};
    // Whether validation draws (model.hpp's Draws: Sampling draws z instead
    // of giving its mean) and from which seed: the same numbers every epoch.
    std::optional<Draws> validation_draws = {};
};

// What evaluate measures: the loss, and the accuracy when the loss has one
// (NaN otherwise); where layers add loss terms, the loss in its parts, as
// EpochRecord has them (loss is their sum).
struct Evaluation {
    double loss = NAN;
    double accuracy = NAN;
    std::vector<double> loss_parts = {};
};

namespace detail {

template <class T>
inline constexpr bool is_samples = false;
template <class S>
inline constexpr bool is_samples<Samples<S>> = true;
template <class T>
inline constexpr bool is_labels = false;
template <class T>
inline constexpr bool is_labels<Labels<T>> = true;

// Whether inputs of shape In and targets of type Targets suit model M and
// loss Loss: Samples of the output's shape for a loss whose target is
// OutputShaped, Labels for one whose target is ClassIndex.
template <class M, class Loss, class In, class Targets>
constexpr bool data_suit() {
    if constexpr (!std::is_same_v<In, typename M::input_shape>) return false;
    else if constexpr (is_samples<Targets>)
        return std::is_same_v<typename Loss::target, OutputShaped> &&
               std::is_same_v<typename M::output_shape, typename Targets::shape>;
    else if constexpr (is_labels<Targets>) return std::is_same_v<typename Loss::target, ClassIndex>;
    else return false;
}

template <class... T>
inline constexpr bool never = false;

// Where data_suit is false: the sentence that says why, and nothing else
// (fit and evaluate compile no further, so no cascade of errors follows it).
template <class M, class Loss, class In, class Targets>
void refuse_data() {
    if constexpr (!std::is_same_v<In, typename M::input_shape>) {
        static_assert(never<In>, "typenet: the inputs' shape differs from the model's input");
    } else if constexpr (is_samples<Targets>) {
        if constexpr (!std::is_same_v<typename Loss::target, OutputShaped>)
            static_assert(never<Targets>, "typenet: this loss takes class indices as targets, one a row: give them "
                                          "as Labels (tn::Labels{labels}, of std::uint8_t or std::int32_t)");
        else
            static_assert(target_check<typename M::output_shape, typename Targets::shape>::value);
    } else if constexpr (is_labels<Targets>) {
        static_assert(never<Targets>, "typenet: this loss takes targets of the output's shape as Samples, not "
                                      "Labels; for class indices use SparseCategoricalCrossentropy");
    } else {
        static_assert(never<Targets>, "typenet: targets are Samples<Shape<...>> of the model's output shape, or "
                                      "Labels of class indices");
    }
}

// Labels must name the model's classes; `which` names them in the error.
template <class M, class Targets>
void check_target_values(const Targets& targets, std::string_view which) {
    if constexpr (is_labels<Targets>) {
        using Out = typename M::output_shape;
        targets.check_classes(Out::dims[Out::rank - 1], which);
    }
}

template <class S>
BatchRow batch_row(const float* input, const Samples<S>& targets, std::size_t i) {
    return {input, targets.row(i)};
}
template <class T>
LabelledRow batch_row(const float* input, const Labels<T>& labels, std::size_t i) {
    return {input, labels[i]};
}

// Where the loss reads the targets of rows first .. first + rows - 1: in the
// Samples themselves, or the labels as 32-bit integers in `converted`.
template <class S>
const float* targets_of(const Samples<S>& targets, std::size_t first, std::size_t, std::vector<std::int32_t>&) {
    return targets.row(first);
}
template <class T>
const std::int32_t* targets_of(const Labels<T>& labels, std::size_t first, std::size_t rows,
                               std::vector<std::int32_t>& converted) {
    for (std::size_t r = 0; r < rows; ++r) converted[r] = labels[first + r];
    return converted.data();
}

template <class Loss, class Arch, class M, class W, class In, class Targets>
Evaluation evaluate_batches(const M& model, W& workspace, Samples<In> x, Targets y, std::optional<Draws> draws) {
    constexpr std::size_t Capacity = W::capacity;
    if (x.count() != y.count())
        throw UsageError(fmt::format("typenet: {} inputs but {} targets", x.count(), y.count()));
    check_target_values<M>(y, "the labels");
    using input = LossInput<M, Loss>;
    using Out = typename M::output_shape;
    std::vector<std::int32_t> labels(is_labels<Targets> ? Capacity : 0);
    double sum = 0.0;
    std::array<double, input::loss_term_count> term_sums{};
    std::size_t correct = 0;
    for (std::size_t first = 0; first < x.count(); first += Capacity) {
        const std::size_t rows = std::min(Capacity, x.count() - first);
        if (draws) draws->first_row = first;
        const float* reads = input::template forward<Arch>(model.parameters().data(), workspace, x.rows(first, rows),
                                                           draws ? &*draws : nullptr, term_sums.data())
                                 .data();
        const auto* targets = targets_of(y, first, rows, labels);
        sum += input::loss::template sum<Arch, Out>(reads, targets, rows);
        if constexpr (HasAccuracy<Loss>)
            correct += Loss::accuracy::template correct<Out>(reads, targets, rows, input::scores);
    }
    Evaluation result;
    result.loss = input::loss::reduction::template mean<Out>(sum, x.count());
    if constexpr (input::loss_term_count > 0) {
        result.loss_parts.push_back(result.loss);
        for (const double term_sum : term_sums)
            result.loss += result.loss_parts.emplace_back(term_sum / static_cast<double>(x.count()));
    }
    if constexpr (HasAccuracy<Loss>)
        result.accuracy = static_cast<double>(correct) /
                          static_cast<double>(x.count() * Loss::accuracy::judged::template per_row<Out>);
    return result;
}

}  // namespace detail

// The loss of the model over every sample, batch by batch through workspace,
// reduced as the loss says (for MSE the mean over every element), computed as
// training computes it (loss_input.hpp), with the loss terms of the layers
// that add one; and the accuracy, for a loss with one. Targets are Samples of
// the output's shape or Labels, as the loss takes. With draws, the layers
// that draw (Sampling) draw from its seed, each row's numbers keyed by its
// row of x (draws.first_row is not used); without, they run as in inference
// (Sampling gives its mean).
template <class Loss, class Arch = kernels::native_arch, class M, ForwardWorkspace<M> W, class In, class Targets>
Evaluation evaluate(const M& model, W& workspace, Samples<In> x, Targets y, std::optional<Draws> draws = {}) {
    static_assert(LossFunction<Loss>, "typenet: evaluate<Loss> takes a loss (see losses.hpp)");
    if constexpr (!LossFunction<Loss>)
        return {};
    else if constexpr (detail::data_suit<M, Loss, In, Targets>())
        return detail::evaluate_batches<Loss, Arch>(model, workspace, x, y, draws);
    else
        return detail::refuse_data<M, Loss, In, Targets>(), Evaluation{};
}

// Runs a model, or one of its parts, over every row of inputs, batch by batch
// through workspace (any of model.hpp's), and gathers the outputs (Keras's predict).
template <class Arch = kernels::native_arch, class Network, class W>
std::vector<float> predict(const Network& network, W& workspace, std::span<const float> inputs) {
    constexpr std::size_t Capacity = W::capacity;
    constexpr std::size_t in = Network::input_shape::size, out = Network::output_shape::size;
    if (inputs.size() % in != 0)
        throw UsageError(fmt::format("typenet: {} floats is not a whole number of rows of {}", inputs.size(), in));
    const std::size_t rows = inputs.size() / in;
    std::vector<float> outputs(rows * out);
    for (std::size_t first = 0; first < rows; first += Capacity) {
        const std::size_t count = std::min(Capacity, rows - first);
        const auto result = network.template operator()<Arch>(workspace, inputs.subspan(first * in, count * in));
        std::copy(result.begin(), result.end(), outputs.begin() + static_cast<std::ptrdiff_t>(first * out));
    }
    return outputs;
}

namespace detail {

template <class Arch, class T, class In, class Targets>
History train_epochs(T& trainer, Samples<In> x, Targets y, Samples<In> validation_x, Targets validation_y,
                     const FitOptions& options) {
    using M = typename T::model_type;
    using Loss = typename T::loss_type;
    using Out = typename M::output_shape;
    if (x.count() != y.count() || x.count() == 0)
        throw UsageError(fmt::format("typenet: fit needs as many targets as inputs (got {} and {})", x.count(), y.count()));
    if (validation_x.count() != validation_y.count())
        throw UsageError(fmt::format("typenet: validation needs as many targets as inputs (got {} and {})",
                                     validation_x.count(), validation_y.count()));
    if (options.batch_size == 0 || options.batch_size > T::capacity)
        throw UsageError(fmt::format("typenet: batch size {} is outside 1..{} (the trainer's capacity)",
                                     options.batch_size, T::capacity));
    check_target_values<M>(y, "the training labels");
    check_target_values<M>(validation_y, "the validation labels");

    constexpr bool loss_has_accuracy = HasAccuracy<Loss>;
    constexpr bool with_parts = T::loss_part_names.size() > 1;
    const bool accuracy = loss_has_accuracy && options.accuracy;
    std::vector<std::uint32_t> order(x.count());
    const std::size_t steps = (x.count() + options.batch_size - 1) / options.batch_size;
    History history;
    for (std::size_t epoch = options.initial_epoch + 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        std::iota(order.begin(), order.end(), 0u);
        if (options.shuffle) Random(options.seed, Stream::shuffle, epoch).shuffle(std::span(order));
        double weighted_loss = 0.0;
        std::array<double, T::loss_part_names.size()> weighted_parts{};
        std::size_t correct = 0;
        for (std::size_t s = 0; s < steps; ++s) {
            const std::size_t first = s * options.batch_size;
            const std::size_t rows = std::min(options.batch_size, x.count() - first);
            auto row_of = [&](std::size_t r) { return batch_row(x.row(order[first + r]), y, order[first + r]); };
            try {
                weighted_loss += trainer.template step<Arch>(rows, row_of) * static_cast<double>(rows);
            } catch (const NumericalError& e) {
                throw NumericalError(fmt::format("training stopped at epoch {}, step {} of {}: {}", epoch, s + 1,
                                                 steps, e.what()));
            }
            correct += trainer.correct_predictions();
            if constexpr (with_parts)
                for (std::size_t p = 0; p < weighted_parts.size(); ++p)
                    weighted_parts[p] += trainer.loss_parts()[p] * static_cast<double>(rows);
        }
        EpochRecord record;
        record.epoch = epoch;
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        record.loss = weighted_loss / static_cast<double>(x.count());
        if constexpr (with_parts) {
            record.part_names = T::loss_part_names;
            for (const double part : weighted_parts) record.loss_parts.push_back(part / static_cast<double>(x.count()));
        }
        if constexpr (loss_has_accuracy)
            if (accuracy)
                record.accuracy = static_cast<double>(correct) /
                                  static_cast<double>(x.count() * Loss::accuracy::judged::template per_row<Out>);
        if (!validation_x.empty()) {
            const Evaluation validation = evaluate<Loss, Arch>(trainer.model(), trainer.workspace(), validation_x,
                                                               validation_y, options.validation_draws);
            record.val_loss = validation.loss;
            record.val_loss_parts = validation.loss_parts;
            if (accuracy) record.val_accuracy = validation.accuracy;
        }
        history.push_back(record);
        if (options.verbose) {
            fmt::print("Epoch {}/{} - {}/{} steps - {:.2f}s - loss: {:.5f}", epoch, options.epochs, steps, steps,
                       record.seconds, record.loss);
            for (std::size_t p = 0; p < record.loss_parts.size(); ++p)
                fmt::print(" - {}: {:.5f}", record.part_names[p], record.loss_parts[p]);
            if (accuracy) fmt::print(" - accuracy: {:.4f}", record.accuracy);
            if (!validation_x.empty()) {
                fmt::print(" - val_loss: {:.5f}", record.val_loss);
                for (std::size_t p = 0; p < record.val_loss_parts.size(); ++p)
                    fmt::print(" - val_{}: {:.5f}", record.part_names[p], record.val_loss_parts[p]);
                if (accuracy) fmt::print(" - val_accuracy: {:.4f}", record.val_accuracy);
            }
            fmt::print("\n");
            std::fflush(stdout);
        }
        if (options.on_epoch_end) options.on_epoch_end(record);
    }
    return history;
}

}  // namespace detail

// Trains on inputs x towards targets y, Samples of the output's shape or
// Labels, as the loss takes; the validation data may be {} (none).
template <class Arch = kernels::native_arch, class T, class In, class Targets>
History fit(T& trainer, Samples<In> x, Targets y, std::type_identity_t<Samples<In>> validation_x,
            std::type_identity_t<Targets> validation_y, const FitOptions& options) {
    using M = typename T::model_type;
    using Loss = typename T::loss_type;
    if constexpr (detail::data_suit<M, Loss, In, Targets>())
        return detail::train_epochs<Arch>(trainer, x, y, validation_x, validation_y, options);
    else
        return detail::refuse_data<M, Loss, In, Targets>(), History{};
}

}  // namespace typenet
