#pragma once
// What the notebook's samples share: their training flags, the exit codes
// (2 for usage, 1 for data), the output folder, and history.csv.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "typenet/fit.hpp"
#include "typenet/io/atomic_file.hpp"

namespace samples {

inline constexpr int exit_data_error = 1;
inline constexpr int exit_usage_error = 2;

struct TrainingFlags {
    std::size_t epochs = 10;
    std::size_t batch = 32;
    double learning_rate = 1e-3;
    std::uint64_t seed = 0;
    std::filesystem::path data = "/usr/share/datasets/fashion-mnist";
    std::filesystem::path out;
};

[[noreturn]] inline void fail(const std::string& program, int code, const std::string& message) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: {}\n", program, message);
    std::exit(code);
}

inline void add_training_flags(CLI::App& app, TrainingFlags& flags, std::size_t batch_capacity) {
    app.add_option("--epochs", flags.epochs, "number of epochs (at least 1)")->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
    app.add_option("--batch", flags.batch,
                   fmt::format("batch size, 1 to {} (the capacity this sample is compiled with)", batch_capacity))
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, batch_capacity));
    app.add_option("--learning-rate", flags.learning_rate, "Adam's learning rate (positive)")->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", flags.seed, "seed of the weights and the shuffle")->capture_default_str();
    app.add_option("--data", flags.data, "folder holding the Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--out", flags.out, "folder for the results")->capture_default_str();
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

inline void write_history_csv(const std::filesystem::path& file, const typenet::History& history) {
    std::string text = "epoch,loss,val_loss,seconds\n";
    for (const auto& record : history)
        text += fmt::format("{},{:.6f},{:.6f},{:.4f}\n", record.epoch, record.loss, record.val_loss, record.seconds);
    typenet::io::write_text_file_atomically(file, text);
}

}  // namespace samples
