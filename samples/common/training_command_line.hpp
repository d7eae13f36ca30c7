#pragma once
// The command line of a training sample that takes the shared flags and no
// others (add_training_flags and add_model_file_flags of sample_cli.hpp),
// parsed in training_command_line.cpp, which is compiled once for the
// samples: a sample that includes this header instead of sample_cli.hpp
// builds without CLI11's header, about 12 s of its 30 at -O3.
#include <cstddef>
#include <filesystem>
#include <string>

#include "common/training_run.hpp"

namespace samples {

// What --help says, and the defaults that differ between the samples.
struct TrainingCommandLine {
    std::string program;
    std::string description;
    std::string footer = {};  // after the flags; none when empty
    std::size_t batch_capacity = 0;
    std::size_t epochs = default_epochs;  // --epochs' default
    double learning_rate = 1e-3;          // --learning-rate's default
    std::filesystem::path out = {};       // --out's default
};

// The flags' values; --help prints the help and exits 0, a usage error
// prints one line and exits 2 (parse_flags).
TrainingFlags parse_training_command_line(int argc, char** argv, const TrainingCommandLine& command_line);

}  // namespace samples
