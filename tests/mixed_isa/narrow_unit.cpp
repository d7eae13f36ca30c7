// Built with -march=x86-64-v3 (AVX2), and the only unit the program runs: it
// must run whether the linker saw the AVX-512 unit's objects first or last,
// on a machine without AVX-512 (the test runs it under valgrind, which has
// none).
#include "uses_of_typenet.hpp"

int main() {
    const float output = run_inference();
    const double loss = run_training();
    const bool same_file = round_trip_model_file("narrow");
    std::printf("narrow unit: inference sum %.6f, training loss %.6f, model file round trip %s\n", output, loss,
                same_file ? "exact" : "DIFFERS");
    return std::isfinite(output) && std::isfinite(loss) && same_file ? 0 : 1;
}
