#pragma once
// What the notebook's samples share: their training flags, the exit codes
// (2 for usage, 1 for data), the output folder, and history.csv.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "typenet/error.hpp"
#include "typenet/fit.hpp"
#include "typenet/io/atomic_file.hpp"
#include "typenet/io/idx.hpp"
#include "typenet/trainer.hpp"

namespace samples {

inline constexpr int exit_data_error = 1;
inline constexpr int exit_usage_error = 2;
inline constexpr int exit_numerical_error = 3;

struct TrainingFlags {
    std::size_t epochs = 10;
    std::size_t batch = 32;
    double learning_rate = 1e-3;
    std::uint64_t seed = 0;
    std::size_t threads = typenet::available_cores();
    std::filesystem::path data = "/usr/share/datasets/fashion-mnist";
    std::filesystem::path out;
    std::filesystem::path resume;         // a checkpoint to continue from
    std::filesystem::path export_header;  // where to write the trained weights as a C++ header
    std::filesystem::path export_safetensors;  // and as safetensors with PyTorch's names and layouts
};

[[noreturn]] inline void fail(const std::string& program, int code, const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, message);
    std::exit(code);
}

// A number x with low <= x <= high (and not NaN), said in a short sentence.
inline CLI::Validator between(double low, double high, const std::string& expected) {
    return CLI::Validator(
        [=](std::string& input) -> std::string {
            double value = 0.0;
            std::size_t used = 0;
            try {
                value = std::stod(input, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != input.size() || used == 0 || !(value >= low && value <= high))
                return fmt::format("expected {}, got {}", expected, input);
            return {};
        },
        expected);
}

// A positive number, finite and not NaN: CLI11's PositiveNumber lets NaN through.
inline CLI::Validator positive_number() {
    return CLI::Validator(
        [](std::string& input) -> std::string {
            double value = 0.0;
            std::size_t used = 0;
            try {
                value = std::stod(input, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != input.size() || used == 0 || !(value > 0.0) || !std::isfinite(value))
                return fmt::format("expected a positive number, got {}", input);
            return {};
        },
        "positive number");
}

// Unsigned flags: CLI11 would turn "-1" into 2^64 - 1.
inline CLI::Validator whole_number() {
    return CLI::Validator(
        [](std::string& input) -> std::string {
            if (input.empty() || input.find_first_not_of("0123456789") != std::string::npos)
                return fmt::format("expected a whole number, got {}", input);
            return {};
        },
        "whole number");
}

inline void add_training_flags(CLI::App& app, TrainingFlags& flags, std::size_t batch_capacity) {
    app.add_option("--epochs", flags.epochs, "number of epochs (at least 1)")
        ->capture_default_str()
        ->check(whole_number())
        ->check(between(1, 1e6, "a number of epochs from 1 to 1000000"));
    app.add_option("--batch", flags.batch,
                   fmt::format("batch size, 1 to {} (the capacity this sample is compiled with)", batch_capacity))
        ->capture_default_str()
        ->check(whole_number())
        ->check(between(1, double(batch_capacity),
                        fmt::format("a batch from 1 to {} (the capacity this program is compiled with)",
                                    batch_capacity)));
    app.add_option("--learning-rate", flags.learning_rate, "Adam's learning rate (positive)")
        ->capture_default_str()
        ->check(positive_number());
    app.add_option("--seed", flags.seed, "seed of the weights, the shuffle and any noise")
        ->capture_default_str()
        ->check(whole_number());
    app.add_option("--threads", flags.threads, "threads for training (default: every core)")
        ->capture_default_str()
        ->check(whole_number())
        ->check(between(1, 256, "a thread count from 1 to 256"));
    app.add_option("--data", flags.data, "folder holding the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--out", flags.out, "folder for the results")->capture_default_str();
}

// For the samples that keep checkpoints and the model file (samples/common/training_files.hpp).
inline void add_model_file_flags(CLI::App& app, TrainingFlags& flags) {
    app.add_option("--resume", flags.resume,
                   "continue from this checkpoint (its seed and history; --epochs stays the total)");
    app.add_option("--export-header", flags.export_header,
                   "also write the trained weights as a C++ header an app can include");
    app.add_option("--export-safetensors", flags.export_safetensors,
                   "also write the trained weights as safetensors with PyTorch state_dict names (encoder.0.weight, ...)");
}

// Parses argv; on a usage error prints one line and exits with code 2,
// whatever CLI11's own codes are. --help prints the help and exits 0.
inline void parse_flags(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        std::exit(app.exit(e));
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        if (const auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
        fail(app.get_name(), exit_usage_error, message + " (see --help)");
    }
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

inline void write_history_csv(const std::filesystem::path& file, const typenet::History& history,
                              bool with_accuracies) {
    const auto written = [with_accuracies](const HistoryColumn& column) { return with_accuracies || !column.is_accuracy; };
    std::string text = "epoch";
    for (const auto& column : history_columns)
        if (written(column)) text += fmt::format(",{}", column.name);
    text += '\n';
    for (const auto& record : history) {
        text += fmt::format("{}", record.epoch);
        for (const auto& column : history_columns)
            if (written(column)) text += fmt::format(",{:.{}f}", record.*column.value, column.decimals);
        text += '\n';
    }
    typenet::io::write_text_file_atomically(file, text);
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
