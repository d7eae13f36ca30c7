#pragma once
// fit and evaluate, as Keras's: epochs of shuffled batches, the last partial
// batch trained too, validation over every sample, one progress line an epoch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/instruction_set.hpp"
#include "typenet/random.hpp"
#include "typenet/samples.hpp"
#include "typenet/trainer.hpp"

namespace typenet::inline TYPENET_ISA_NAMESPACE {

struct EpochRecord {
    std::size_t epoch = 0;  // counted from 1
    double loss = 0.0;      // mean over the epoch's training elements
    double val_loss = NAN;  // NaN when there is no validation data
    double seconds = 0.0;   // shuffle and steps; validation excluded
};

using History = std::vector<EpochRecord>;

struct FitOptions {
    std::size_t epochs = 10;         // the total, counting epochs done before initial_epoch
    std::size_t initial_epoch = 0;   // epochs already done (Keras's name): training resumes after them
    std::size_t batch_size = 32;
    bool shuffle = true;
    std::uint64_t seed = 0;  // the shuffle's
    bool verbose = true;
    std::function<void(const EpochRecord&)> on_epoch_end = {};
};

// The mean loss of the model over every sample, batch by batch through workspace.
template <class Loss, class Arch = kernels::native_arch, class M, std::size_t Capacity, class In, class Out>
double evaluate(const M& model, Workspace<M, Capacity>& workspace, Samples<In> x, Samples<Out> y) {
    static_assert(std::is_same_v<In, typename M::input_shape>, "typenet: the inputs' shape differs from the model's input");
    static_assert(target_check<typename M::output_shape, Out>::value);
    if (x.count() != y.count())
        throw UsageError(fmt::format("typenet: {} inputs but {} targets", x.count(), y.count()));
    double sum = 0.0;
    for (std::size_t first = 0; first < x.count(); first += Capacity) {
        const std::size_t rows = std::min(Capacity, x.count() - first);
        const auto output = model.template operator()<Arch>(workspace, x.rows(first, rows));
        sum += Loss::template sum<Arch>(output.data(), y.row(first), output.size());
    }
    return sum / static_cast<double>(x.count() * Out::size);
}

// Runs a model, or one of its parts, over every row of inputs, batch by batch,
// and gathers the outputs (Keras's predict).
template <class Arch = kernels::native_arch, class Network, class M, std::size_t Capacity>
std::vector<float> predict(const Network& network, Workspace<M, Capacity>& workspace, std::span<const float> inputs) {
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

template <class Arch = kernels::native_arch, class T, class In, class Out>
History fit(T& trainer, Samples<In> x, Samples<Out> y, Samples<In> validation_x, Samples<Out> validation_y,
            const FitOptions& options) {
    using M = typename T::model_type;
    static_assert(std::is_same_v<In, typename M::input_shape>, "typenet: the inputs' shape differs from the model's input");
    static_assert(target_check<typename M::output_shape, Out>::value);
    if (x.count() != y.count() || x.count() == 0)
        throw UsageError(fmt::format("typenet: fit needs as many targets as inputs (got {} and {})", x.count(), y.count()));
    if (validation_x.count() != validation_y.count())
        throw UsageError(fmt::format("typenet: validation needs as many targets as inputs (got {} and {})",
                                     validation_x.count(), validation_y.count()));
    if (options.batch_size == 0 || options.batch_size > T::capacity)
        throw UsageError(fmt::format("typenet: batch size {} is outside 1..{} (the trainer's capacity)",
                                     options.batch_size, T::capacity));

    std::vector<std::uint32_t> order(x.count());
    const std::size_t steps = (x.count() + options.batch_size - 1) / options.batch_size;
    History history;
    for (std::size_t epoch = options.initial_epoch + 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        std::iota(order.begin(), order.end(), 0u);
        if (options.shuffle) Random(options.seed, Stream::shuffle, epoch).shuffle(std::span(order));
        double weighted_loss = 0.0;
        for (std::size_t s = 0; s < steps; ++s) {
            const std::size_t first = s * options.batch_size;
            const std::size_t rows = std::min(options.batch_size, x.count() - first);
            auto row_of = [&](std::size_t r) { return BatchRow{x.row(order[first + r]), y.row(order[first + r])}; };
            try {
                weighted_loss += trainer.template step<Arch>(rows, row_of) * static_cast<double>(rows);
            } catch (const NumericalError& e) {
                throw NumericalError(fmt::format("training stopped at epoch {}, step {} of {}: {}", epoch, s + 1,
                                                 steps, e.what()));
            }
        }
        EpochRecord record;
        record.epoch = epoch;
        record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        record.loss = weighted_loss / static_cast<double>(x.count());
        if (!validation_x.empty())
            record.val_loss = evaluate<typename T::loss_type, Arch>(trainer.model(), trainer.workspace(), validation_x,
                                                                    validation_y);
        history.push_back(record);
        if (options.verbose) {
            fmt::print("Epoch {}/{} - {}/{} steps - {:.2f}s - loss: {:.5f}", epoch, options.epochs, steps, steps,
                       record.seconds, record.loss);
            if (!validation_x.empty()) fmt::print(" - val_loss: {:.5f}", record.val_loss);
            fmt::print("\n");
            std::fflush(stdout);
        }
        if (options.on_epoch_end) options.on_epoch_end(record);
    }
    return history;
}

}  // namespace typenet
