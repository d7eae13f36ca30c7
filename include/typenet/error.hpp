#pragma once
// The errors typenet reports at run time. Compile-time mistakes (shapes,
// wiring) never get here: they fail to compile with a message of their own.
#include <stdexcept>
#include <string>

namespace typenet {

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
