// MSE takes targets of the output's shape: class indices given to fit are
// refused, saying which loss takes them.
// expect: typenet: this loss takes targets of the output's shape as Samples, not Labels; for class indices use SparseCategoricalCrossentropy
#include <cstdint>
#include <vector>

#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<4>, tn::Dense<3>>;

int main() {
    M model;
    tn::Trainer<M, tn::Adam, tn::MSE, 8> trainer(model);
    std::vector<float> data(8);
    std::vector<std::uint8_t> labels(2);
    tn::fit(trainer, tn::Samples<tn::Shape<4>>(data), tn::Labels{labels}, {}, {}, {});
}
