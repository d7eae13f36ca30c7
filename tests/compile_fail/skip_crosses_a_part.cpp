// An encoder and a decoder as named parts, with the decoder reading the
// encoder's tag: a part runs on its own input, so the skip must stay inside one.
// expect: typenet: this merge reads a Tag outside its part; a skip connection may not cross the boundary of a named part
// expect: skip_within_part<typenet::layer_index<4>
#include "typenet/typenet.hpp"

namespace tn = typenet;
struct Encoder : tn::Sequential<tn::Conv2D<8, 3, 1, tn::Same, tn::ReLU>, tn::Tag<"a">,
                                tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU>> {};
struct Decoder : tn::Sequential<tn::Conv2DTranspose<8, 3, 2, tn::Same, tn::ReLU>, tn::Concatenate<"a">,
                                tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {};
using M = tn::Model<tn::Input<28, 28, 1>, Encoder, Decoder>;

int main() { M model; }
