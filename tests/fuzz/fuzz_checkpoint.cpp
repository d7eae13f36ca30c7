// libFuzzer target: io::parse_checkpoint_file for the notebook's two models
// with Adam's state (and the denoiser's with SGD's, whose layout has one slot
// instead of two), on the input as it is and with its size field and checksum
// repaired. A checkpoint the parser accepts must be exactly the bytes
// checkpoint_file_bytes writes for what it returned (a version-1 one, no
// longer written: the same contents once written in the current version); a
// named value the writer refuses (a UsageError there) is a parser bug too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "fuzz_support.hpp"
#include "notebook_models.hpp"
#include "typenet/io/model_file.hpp"

namespace {

namespace tn = typenet;
namespace io = typenet::io;
namespace fuzzing = typenet::fuzzing;

template <class M, class State>
void parse_as(std::span<const unsigned char> bytes) {
    std::optional<io::Checkpoint<State>> checkpoint;
    if (!fuzzing::accepts([&] { checkpoint.emplace(io::parse_checkpoint_file<M, State>(bytes, "fuzz input")); })) return;
    fuzzing::require(checkpoint->parameters.size() == M::parameter_count,
                     "parse_checkpoint_file returned another parameter count");
    static M model(0);
    std::ranges::copy(checkpoint->parameters.span(), model.parameters().begin());
    const fuzzing::Bytes written = io::checkpoint_file_bytes(model, checkpoint->state, checkpoint->info);
    if (fuzzing::is_version_1(bytes)) {
        const io::Checkpoint<State> again = io::parse_checkpoint_file<M, State>(written, "written");
        fuzzing::require(io::checkpoint_file_bytes(model, again.state, again.info) == written,
                         "a version-1 checkpoint does not survive being written as the current version");
        return;
    }
    fuzzing::require(std::ranges::equal(written, bytes),
                     "parse_checkpoint_file accepted a file that checkpoint_file_bytes does not write back");
}

void parse_as_each_model(std::span<const unsigned char> bytes) {
    parse_as<notebook::DenseAutoencoder, tn::Adam::State>(bytes);
    parse_as<notebook::DenoisingAutoencoder, tn::Adam::State>(bytes);
    parse_as<notebook::DenoisingAutoencoder, tn::SGD::State>(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    parse_as_each_model(bytes);
    if (const auto repaired = fuzzing::with_valid_framing(bytes)) parse_as_each_model(*repaired);
    return 0;
}
