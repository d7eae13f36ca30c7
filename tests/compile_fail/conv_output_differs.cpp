// A denoiser missing its last Conv2D ends at 16 channels; training it towards
// (28, 28, 1) targets must fail and say both shapes.
// expect: typenet: the model's output shape differs from the target's shape
// expect: target_check<typenet::Shape<28, 28, 16>, typenet::Shape<28, 28, 1>
#include <vector>

#include "typenet/typenet.hpp"

namespace tn = typenet;
using M = tn::Model<tn::Input<28, 28, 1>, tn::Conv2D<16, 3, 2, tn::Same, tn::ReLU>,
                    tn::Conv2DTranspose<16, 3, 2, tn::Same, tn::ReLU>>;

int main() {
    M model;
    tn::Trainer<M, tn::Adam, tn::MSE, 32> trainer(model);
    std::vector<float> data(784);
    tn::Samples<tn::Shape<28, 28, 1>> images(data);
    tn::fit(trainer, images, images, images, images, {});
}
