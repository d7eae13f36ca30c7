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

}  // namespace notebook
