#pragma once
// The notebook's networks as types. The samples train them and the tests
// check their gradients, so what is tested is exactly what ships.
#include "typenet/typenet.hpp"

namespace notebook {

namespace tn = typenet;

// Flatten -> Dense(64, relu) | Dense(784, sigmoid) -> Reshape(28, 28)
struct DenseEncoder : tn::Sequential<tn::Flatten, tn::Dense<64, tn::ReLU>> {};
struct DenseDecoder : tn::Sequential<tn::Dense<784, tn::Sigmoid>, tn::Reshape<28, 28>> {};
using DenseAutoencoder = tn::Model<tn::Input<28, 28>, DenseEncoder, DenseDecoder>;

// Conv2D(16, 3, stride 2, same, relu) -> Conv2D(8, 3, stride 2, same, relu) |
// Conv2DTranspose(8, 3, stride 2, same, relu) -> Conv2DTranspose(16, 3, stride 2, same, relu)
//   -> Conv2D(1, 3, same, sigmoid): 28 -> 14 -> 7 -> 14 -> 28, proven by the compiler.
struct DenoiseEncoder : tn::Sequential<tn::Conv2D<16, 3, 2, tn::Same, tn::ReLU>, tn::Conv2D<8, 3, 2, tn::Same, tn::ReLU>> {};
struct DenoiseDecoder : tn::Sequential<tn::Conv2DTranspose<8, 3, 2, tn::Same, tn::ReLU>,
                                       tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>,
                                       tn::Conv2D<1, 3, 1, tn::Same, tn::Sigmoid>> {};
using DenoisingAutoencoder = tn::Model<tn::Input<28, 28, 1>, DenoiseEncoder, DenoiseDecoder>;
static_assert(std::is_same_v<DenoisingAutoencoder::output_shape, DenoisingAutoencoder::input_shape>);

}  // namespace notebook
