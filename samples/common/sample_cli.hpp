#pragma once
// The training samples' command line, parsed by CLI11: the flags they share
// (add_training_flags, add_model_file_flags), the validators of their values,
// and parse_flags, which turns every usage error into one line and exit code 2.
#include <cmath>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/training_run.hpp"

namespace samples {

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
    app.add_option("--seed", flags.seed, "seed of the weights, the shuffle, any noise, dropout's masks and Sampling's draws")
        ->capture_default_str()
        ->check(whole_number());
    app.add_option("--threads", flags.threads, "threads for training (default: every core)")
        ->capture_default_str()
        ->check(whole_number())
        ->check(between(1, 256, "a thread count from 1 to 256"));
    app.add_option("--data", flags.data, "folder holding the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--out", flags.out, "folder for the results")->capture_default_str();
    app.add_flag("--summary", flags.summary,
                 "print the model's layers, parameter counts and memory (as Keras's model.summary()) and exit");
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

}  // namespace samples
