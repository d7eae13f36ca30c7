#pragma once
// What the samples keep on disk while and after training: history.csv,
// loss.svg (and accuracy.svg) and checkpoint.tnm at the end of every epoch,
// model.tnm at the end, and --resume to continue from a checkpoint. A
// checkpoint carries the weights, the optimizer's moments and step, the epochs
// done, the seed (from which the shuffle of every epoch, the noise and
// dropout's masks are drawn, so it is the whole random state) and the history
// so far.
#include <bit>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/training_run.hpp"
#include "typenet/fit.hpp"
#include "typenet/io/export_header.hpp"
#include "typenet/io/model_file.hpp"
#include "typenet/io/safetensors.hpp"

namespace samples {

// The history rides in the checkpoint's named values as the doubles' bits
// (history.<epoch>.<column>). The accuracies are stored only where the run
// has them, so that an autoencoder's checkpoint holds the values it held
// before they were added; one not stored comes back as NaN. The loss's parts,
// where layers add loss terms, are stored under their names (history.<epoch>.kl_loss,
// history.<epoch>.val_kl_loss). An epoch missing any other column is not restored.
inline void store_history(typenet::io::CheckpointInfo& info, const typenet::History& history) {
    for (const auto& record : history) {
        const std::string key = fmt::format("history.{:06}.", record.epoch);
        for (const auto& column : history_columns)
            if (!column.is_accuracy || !std::isnan(record.*column.value))
                info.values[key + std::string(column.name)] = std::bit_cast<std::uint64_t>(record.*column.value);
        for (std::size_t p = 0; p < record.loss_parts.size(); ++p)
            info.values[fmt::format("{}{}", key, record.part_names[p])] = std::bit_cast<std::uint64_t>(record.loss_parts[p]);
        for (std::size_t p = 0; p < record.val_loss_parts.size(); ++p)
            info.values[fmt::format("{}val_{}", key, record.part_names[p])] =
                std::bit_cast<std::uint64_t>(record.val_loss_parts[p]);
    }
}

// part_names: the loss's parts the run has (Trainer::loss_part_names); a
// loss with no terms beside it is not split into parts.
inline typenet::History restore_history(const typenet::io::CheckpointInfo& info,
                                        std::span<const std::string_view> part_names = {}) {
    typenet::History history;
    for (std::size_t epoch = 1; epoch <= info.epochs; ++epoch) {
        const std::string key = fmt::format("history.{:06}.", epoch);
        typenet::EpochRecord record{.epoch = epoch};
        bool complete = true;
        for (const auto& column : history_columns) {
            if (const auto value = info.values.find(key + std::string(column.name)); value != info.values.end())
                record.*column.value = std::bit_cast<double>(value->second);
            else
                complete = complete && column.is_accuracy;
        }
        if (part_names.size() > 1) {
            record.part_names = part_names;
            for (const std::string_view prefix : {"", "val_"}) {
                auto& parts = prefix.empty() ? record.loss_parts : record.val_loss_parts;
                for (const auto& name : part_names)
                    if (const auto value = info.values.find(fmt::format("{}{}{}", key, prefix, name));
                        value != info.values.end())
                        parts.push_back(std::bit_cast<double>(value->second));
                if (!parts.empty() && parts.size() != part_names.size()) complete = false;
            }
        }
        if (complete) history.push_back(record);
    }
    return history;
}

// The training-run bookkeeping of one sample: the checkpoint after every
// epoch, and the model file (and the exported header, when asked) at the end.
template <class Trainer>
class TrainingFiles {
public:
    // `loss_description` says in loss.svg's title what the loss is ("MSE, per
    // pixel"). With `accuracy`, which a loss that has one gives by default, the
    // run reports it, history.csv has its columns and accuracy.svg draws them.
    TrainingFiles(const std::string& program, const TrainingFlags& flags, Trainer& trainer,
                  std::string loss_description, bool accuracy = typenet::HasAccuracy<typename Trainer::loss_type>)
        : program_(program),
          flags_(flags),
          trainer_(trainer),
          loss_description_(std::move(loss_description)),
          accuracy_(accuracy && typenet::HasAccuracy<typename Trainer::loss_type>) {}

    // Values beyond the seed that the run depends on (the noise factor's bits).
    typenet::io::CheckpointInfo& extra() { return extra_; }

    // Loads --resume (if given) into the model and the optimizer; returns its info,
    // or an info with no epochs done. Exits 1 on a bad file.
    typenet::io::CheckpointInfo resume() {
        typenet::io::CheckpointInfo info;
        info.seed = flags_.seed;
        if (flags_.resume.empty()) return info;
        run_or_exit(program_, [&] {
            info = typenet::io::load_checkpoint(flags_.resume, trainer_.model(), trainer_.optimizer_state());
        });
        fmt::print("resumed from {}: {} epochs done, seed {}\n", flags_.resume.string(), info.epochs, info.seed);
        return info;
    }

    // FitOptions that continue after `resumed` and keep history.csv and checkpoint.tnm current.
    typenet::FitOptions fit_options(const typenet::io::CheckpointInfo& resumed, typenet::History& history) {
        history = restore_history(resumed, Trainer::loss_part_names);
        seed_ = resumed.seed;
        // The run's seed (on --resume, the checkpoint's): a resumed run draws the masks an unbroken one would.
        trainer_.set_seed(seed_);
        auto options = samples::fit_options(flags_, history, accuracy_);
        options.accuracy = accuracy_;
        options.seed = seed_;
        options.initial_epoch = resumed.epochs;
        options.on_epoch_end = [this, &history, write_history = options.on_epoch_end](const typenet::EpochRecord& record) {
            write_history(record);
            write_history_plot(flags_.out / "loss.svg", history, loss_measure,
                               fmt::format("{}: loss per epoch ({})", program_, loss_description_));
            if (accuracy_)
                write_history_plot(flags_.out / "accuracy.svg", history, accuracy_measure,
                                   program_ + ": accuracy per epoch");
            typenet::io::CheckpointInfo info = extra_;
            info.epochs = record.epoch;
            info.seed = seed_;
            store_history(info, history);
            // Through the const trainer: saving reads the state, and the writable
            // accessor would make the next step check its update the slow way.
            typenet::io::save_checkpoint(flags_.out / "checkpoint.tnm", trainer_.model(),
                                         std::as_const(trainer_).optimizer_state(), info);
        };
        return options;
    }

    // model.tnm, and the exports that were asked for.
    void finish(std::string_view header_namespace) {
        typenet::io::save_model(flags_.out / "model.tnm", trainer_.model());
        if (!flags_.export_header.empty())
            typenet::io::export_header(flags_.export_header, trainer_.model(), header_namespace);
        if (!flags_.export_safetensors.empty())
            typenet::io::save_safetensors(flags_.export_safetensors, trainer_.model());
    }

private:
    std::string program_;
    const TrainingFlags& flags_;
    Trainer& trainer_;
    std::string loss_description_;
    bool accuracy_;
    typenet::io::CheckpointInfo extra_;
    std::uint64_t seed_ = 0;
};

}  // namespace samples
