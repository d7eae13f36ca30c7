// Dense after a (7, 7, 8) shape must fail, naming layer 3, its type and the shape.
// expect: typenet: Dense expects a flat input; add Flatten before it
// expect: Dense<784, typenet::Sigmoid>::input_check<typenet::layer_index<3>, typenet::Shape<7, 7, 8>
#include "typenet/typenet.hpp"

namespace tn = typenet;
using Broken = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<392>, tn::Reshape<7, 7, 8>, tn::Dense<784, tn::Sigmoid>>;

int main() { Broken model; }
