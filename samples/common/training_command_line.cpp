#include "common/training_command_line.hpp"

#include "common/sample_cli.hpp"

namespace samples {

TrainingFlags parse_training_command_line(int argc, char** argv, const TrainingCommandLine& command_line) {
    CLI::App app{command_line.description, command_line.program};
    TrainingFlags flags;
    flags.epochs = command_line.epochs;
    flags.learning_rate = command_line.learning_rate;
    flags.out = command_line.out;
    add_training_flags(app, flags, command_line.batch_capacity);
    add_model_file_flags(app, flags);
    if (!command_line.footer.empty()) app.footer(command_line.footer);
    parse_flags(app, argc, argv);
    return flags;
}

}  // namespace samples
