// Training (28, 28) outputs towards (28, 28, 1) targets must fail, naming both shapes.
// expect: typenet: the model's output shape differs from the target's shape
// expect: target_check<typenet::Shape<28, 28>, typenet::Shape<28, 28, 1>
#include <vector>

#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<28, 28>, tn::Flatten, tn::Dense<784, tn::Sigmoid>, tn::Reshape<28, 28>>;

int main() {
    M model;
    tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model);
    std::vector<float> data(784);
    tn::Samples<tn::Shape<28, 28>> x(data);
    tn::Samples<tn::Shape<28, 28, 1>> y(data);
    tn::fit(trainer, x, y, x, y, {});
}
