#pragma once
// What the training samples share beyond their command line: the values of
// their flags, the exit codes (2 for usage, 1 for data, 3 for a non-finite
// loss or gradient), the output folder, the data, and history.csv. No CLI11
// here: its header alone costs a sample's build about 12 s at -O3, so the
// flags are parsed in common/sample_cli.hpp, or compiled once in
// common/training_command_line.cpp.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/fit.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/idx.hpp"
#include "typenet/summary.hpp"
#include "typenet/trainer.hpp"

namespace samples {

inline constexpr int exit_data_error = 1;
inline constexpr int exit_usage_error = 2;
inline constexpr int exit_numerical_error = 3;

// --epochs' default, but where a sample says otherwise (TrainingCommandLine::epochs).
inline constexpr std::size_t default_epochs = 10;

struct TrainingFlags {
    std::size_t epochs = default_epochs;
    std::size_t batch = 32;
    double learning_rate = 1e-3;
    std::uint64_t seed = 0;
    std::size_t threads = typenet::available_cores();
    std::filesystem::path data = "/usr/share/datasets/fashion-mnist";
    std::filesystem::path out;
    std::filesystem::path resume;         // a checkpoint to continue from
    std::filesystem::path export_header;  // where to write the trained weights as a C++ header
    std::filesystem::path export_safetensors;  // and as safetensors with PyTorch's names and layouts
    bool summary = false;                 // print the model's summary and exit
};

[[noreturn]] inline void fail(const std::string& program, int code, const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, message);
    std::exit(code);
}

// Makes sure results can be written into out before any work is done.
inline void prepare_output_folder(const std::string& program, const std::filesystem::path& out) {
    std::error_code error;
    std::filesystem::create_directories(out, error);
    if (error)
        fail(program, exit_usage_error, fmt::format("--out {}: cannot create the folder: {}", out.string(), error.message()));
    if (!std::filesystem::is_directory(out))
        fail(program, exit_usage_error, fmt::format("--out {}: not a folder", out.string()));
    const auto probe = out / ".typenet-write-test";
    if (std::FILE* file = std::fopen(probe.c_str(), "wb")) {
        std::fclose(file);
        std::filesystem::remove(probe, error);
    } else {
        fail(program, exit_usage_error, fmt::format("--out {}: the folder is not writable", out.string()));
    }
}

// The columns of a training history beside its epoch, under Keras's names
// (the keys of history.history), in history.csv's order. The accuracies are
// there only for a loss that has one (the crossentropies).
struct HistoryColumn {
    std::string_view name;
    double typenet::EpochRecord::*value;
    bool is_accuracy;
    int decimals;  // in history.csv
};
inline constexpr std::array<HistoryColumn, 5> history_columns{{
    {"loss", &typenet::EpochRecord::loss, false, 6},
    {"accuracy", &typenet::EpochRecord::accuracy, true, 6},
    {"val_loss", &typenet::EpochRecord::val_loss, false, 6},
    {"val_accuracy", &typenet::EpochRecord::val_accuracy, true, 6},
    {"seconds", &typenet::EpochRecord::seconds, false, 4},
}};

// Where layers add loss terms of their own (a VAE's kl_loss), the loss's
// parts come before the seconds, which stay last, under their names and with
// val_ before them:
//   epoch,loss,val_loss,binary_crossentropy,kl_loss,val_binary_crossentropy,val_kl_loss,seconds
inline void write_history_csv(const std::filesystem::path& file, const typenet::History& history,
                              bool with_accuracies) {
    const auto written = [with_accuracies](const HistoryColumn& column) { return with_accuracies || !column.is_accuracy; };
    static_assert(history_columns.back().name == "seconds");
    const auto measures = std::span(history_columns).first(history_columns.size() - 1);
    const auto part_names = history.empty() ? std::span<const std::string_view>{} : history.front().part_names;
    std::string text = "epoch";
    for (const auto& column : measures)
        if (written(column)) text += fmt::format(",{}", column.name);
    for (const auto& name : part_names) text += fmt::format(",{}", name);
    for (const auto& name : part_names) text += fmt::format(",val_{}", name);
    text += ",seconds\n";
    for (const auto& record : history) {
        text += fmt::format("{}", record.epoch);
        for (const auto& column : measures)
            if (written(column)) text += fmt::format(",{:.{}f}", record.*column.value, column.decimals);
        for (const auto* parts : {&record.loss_parts, &record.val_loss_parts})
            for (std::size_t p = 0; p < part_names.size(); ++p)
                text += fmt::format(",{:.6f}", p < parts->size() ? (*parts)[p] : NAN);
        text += fmt::format(",{:.{}f}\n", record.seconds, history_columns.back().decimals);
    }
    typenet::io::write_text_file_atomically(file, text);
}

// --summary: the model's layers, parameters and memory (typenet/summary.hpp),
// then exit 0, before any data is read.
template <class M>
void print_summary_if_asked(const TrainingFlags& flags) {
    if (!flags.summary) return;
    fmt::print("{}", typenet::summary<M>());
    std::exit(0);
}

// Runs work; a file problem exits with 1, a non-finite loss or gradient with 3.
template <class Work>
void run_or_exit(const std::string& program, Work&& work) {
    try {
        work();
    } catch (const typenet::DataError& e) {
        fail(program, exit_data_error, e.what());
    } catch (const typenet::NumericalError& e) {
        fail(program, exit_numerical_error, e.what());
    }
}

inline typenet::io::Dataset load_data_or_exit(const std::string& program, const std::filesystem::path& folder) {
    try {
        return typenet::io::load_fashion_mnist(folder);
    } catch (const typenet::DataError& e) {
        fail(program, exit_data_error, e.what());
    }
}

// The flags' epochs, batch and seed; history.csv rewritten (atomically) after every epoch.
inline typenet::FitOptions fit_options(const TrainingFlags& flags, typenet::History& history, bool with_accuracies) {
    typenet::FitOptions options;
    options.epochs = flags.epochs;
    options.batch_size = flags.batch;
    options.seed = flags.seed;
    options.on_epoch_end = [&history, with_accuracies, file = flags.out / "history.csv"](const typenet::EpochRecord& record) {
        history.push_back(record);
        write_history_csv(file, history, with_accuracies);
    };
    return options;
}

}  // namespace samples
