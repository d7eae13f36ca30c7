// Built with -march=x86-64-v4 (AVX-512). The program never calls it: it is
// there only to offer the linker its own copies of the library's functions.
#include "uses_of_typenet.hpp"

double wide_unit_entry() { return run_inference() + run_training() + round_trip_model_file("wide"); }
