// libFuzzer target: the safetensors readers (PyTorch interop), for the
// notebook's two models and as plain named float tensors. A file the model
// reader accepts must give back exactly the file safetensors_bytes writes
// for the parameters it returned, up to the header's free-form metadata.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "notebook_models.hpp"
#include "typenet/io/safetensors.hpp"

namespace {

namespace io = typenet::io;
namespace fuzzing = typenet::fuzzing;

template <class M>
void parse_as(std::span<const unsigned char> bytes) {
    typenet::AlignedFloats parameters;
    if (!fuzzing::accepts([&] { parameters = io::parse_safetensors<M>(bytes, "fuzz input"); })) return;
    fuzzing::require(parameters.size() == M::parameter_count, "parse_safetensors returned another parameter count");
    static M model(0);
    std::ranges::copy(parameters.span(), model.parameters().begin());
    const auto again = io::parse_safetensors<M>(io::safetensors_bytes(model), "written back");
    fuzzing::require(std::ranges::equal(again.span(), parameters.span(),
                                        [](float a, float b) { return std::bit_cast<std::uint32_t>(a) ==
                                                                      std::bit_cast<std::uint32_t>(b); }),
                     "a model's safetensors did not read back bit for bit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> bytes(data, size);
    parse_as<notebook::DenseAutoencoder>(bytes);
    parse_as<notebook::DenoisingAutoencoder>(bytes);
    fuzzing::accepts([&] { (void)io::parse_safetensors_floats(bytes, "fuzz input"); });
    return 0;
}
