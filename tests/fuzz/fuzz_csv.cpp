// libFuzzer target: io::read_labelled_csv, the reader of the anomaly
// detection sample's ECG5000 file. It takes a path, so each input is written
// to a file in this process's scratch directory. What it accepts must hold
// as many values as rows times values per row, every one finite, and every
// label 0 or 1.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "fuzz_support.hpp"
#include "typenet/io/csv.hpp"

namespace {

namespace io = typenet::io;
namespace fuzzing = typenet::fuzzing;

void check_rows(const io::LabelledRows& rows) {
    fuzzing::require(rows.count() > 0 && rows.values_per_row > 0 && rows.first_row_line > 0,
                     "read_labelled_csv accepted a file without a row of values");
    fuzzing::require(rows.values.size() == rows.count() * rows.values_per_row,
                     "read_labelled_csv returned rows of different lengths");
    fuzzing::require(std::ranges::all_of(rows.values, [](float value) { return std::isfinite(value); }),
                     "read_labelled_csv returned a value that is not finite");
    fuzzing::require(std::ranges::all_of(rows.labels, [](std::uint8_t label) { return label <= 1; }),
                     "read_labelled_csv returned a label other than 0 or 1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fuzzing::ScratchDirectory scratch("csv");
    const std::filesystem::path file = scratch.path() / "input.csv";
    fuzzing::write_file(file, std::span<const unsigned char>(data, size));
    fuzzing::accepts([&] { check_rows(io::read_labelled_csv(file)); });
    return 0;
}
