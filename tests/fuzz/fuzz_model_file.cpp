// libFuzzer target: io::parse_model_file for the notebook's two models, on
// the input as it is and on the input with its size field and checksum
// repaired (so that mutations reach the fields behind the checksum). A file
// the parser accepts must be exactly the file model_file_bytes writes for
// the parameters it returned: every field but the floats is fixed by the
// architecture, so accepting anything else would be a parser bug. A
// version-1 file (no longer written) must give the same parameters back
// once written in the current version.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "notebook_models.hpp"
#include "typenet/io/model_file.hpp"

namespace {

namespace io = typenet::io;
namespace fuzzing = typenet::fuzzing;

template <class M>
void parse_as(std::span<const unsigned char> bytes) {
    typenet::AlignedFloats parameters;
    if (!fuzzing::accepts([&] { parameters = io::parse_model_file<M>(bytes, "fuzz input"); })) return;
    fuzzing::require(parameters.size() == M::parameter_count, "parse_model_file returned another parameter count");
    static M model(0);
    std::ranges::copy(parameters.span(), model.parameters().begin());
    const fuzzing::Bytes written = io::model_file_bytes(model);
    if (fuzzing::is_version_1(bytes)) {
        const typenet::AlignedFloats again = io::parse_model_file<M>(written, "written");
        fuzzing::require(std::ranges::equal(std::as_bytes(again.span()), std::as_bytes(parameters.span())),
                         "a version-1 file's parameters do not survive being written as the current version");
        return;
    }
    fuzzing::require(std::ranges::equal(written, bytes),
                     "parse_model_file accepted a file that model_file_bytes does not write back");
}

void parse_as_each_model(std::span<const unsigned char> bytes) {
    parse_as<notebook::DenseAutoencoder>(bytes);
    parse_as<notebook::DenoisingAutoencoder>(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    parse_as_each_model(bytes);
    if (const auto repaired = fuzzing::with_valid_framing(bytes)) parse_as_each_model(*repaired);
    return 0;
}
