// A U-Net that concatenates the 7x7 code with the 14x14 activation tagged
// "b" (one Conv2DTranspose too few before the merge): the two shapes must
// agree but in channels, and the message names the layer and both shapes,
// its input's first.
// expect: typenet: Concatenate's two inputs must agree in every dimension but the last
// expect: input_check<typenet::layer_index<5>, typenet::Shape<7, 7, 32>, typenet::Shape<14, 14, 32>>
#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<28, 28, 1>, tn::Conv2D<16, 3, 1, tn::Same, tn::ReLU>, tn::Tag<"a">,
                    tn::Conv2D<32, 3, 2, tn::Same, tn::ReLU>, tn::Tag<"b">, tn::Conv2D<32, 3, 2, tn::Same, tn::ReLU>,
                    tn::Concatenate<"b">, tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>>;

int main() { M model; }
