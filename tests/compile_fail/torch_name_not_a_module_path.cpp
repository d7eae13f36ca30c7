// A part whose declared PyTorch name could not name a submodule (a space in
// it) is refused when the model's PyTorch names are made, and the note names
// the part.
// expect: typenet: this part's torch_name is not a PyTorch module path
// expect: torch_name_check<Encoder>
#include <string_view>

#include "typenet/io/safetensors.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;

struct Encoder : tn::Sequential<tn::Dense<4, tn::ReLU>> {
    static constexpr std::string_view torch_name = "my encoder";
};
struct Decoder : tn::Sequential<tn::Dense<3>> {
    static constexpr std::string_view torch_name = "decoder";
};
using Net = tn::Model<tn::Input<3>, Encoder, Decoder>;

int main() { return static_cast<int>(typenet::io::torch_tensors<Net>().size()); }
