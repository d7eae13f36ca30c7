#pragma once
// The errors typenet reports at run time. Compile-time mistakes (shapes,
// wiring) never get here: they fail to compile with a message of their own.
#include <stdexcept>
#include <string>

namespace typenet {

// Built without exceptions (-fno-exceptions, as embedded apps are), the
// inference path (a model, a part or a ModelView called on a workspace)
// reports a misuse it can only see at run time, such as more rows than the
// workspace holds, to this handler instead of throwing a UsageError, and the
// call returns an empty span having done nothing. The app sets its own:
//   typenet::usage_error_handler = [](const char* message) { log_to_uart(message); };
inline void (*usage_error_handler)(const char* message) = nullptr;

inline void report_usage_error(const char* message) {
    if (usage_error_handler) usage_error_handler(message);
}

// A file or its bytes are not what they must be: missing, truncated, corrupt,
// of the wrong kind or the wrong size. The message names the file and the problem.
struct DataError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A call was given arguments that cannot work (a batch above the capacity,
// a span of the wrong length).
struct UsageError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Training met a non-finite loss or gradient. The update of that step was not
// applied: the parameters are those of the last good step.
struct NumericalError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace typenet
