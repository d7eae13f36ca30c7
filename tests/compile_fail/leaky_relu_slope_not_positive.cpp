// A LeakyReLU whose slope is not positive: its derivative is read from the
// sign of its output, which such a slope would flip. The compiler names the
// activation and gives Keras's default.
// expect: typenet: LeakyReLU's slope must be positive (Keras's default is 0.3)
// expect: LeakyReLU
#include "typenet/typenet.hpp"

namespace tn = typenet;

int main() {
    using M = tn::Model<tn::Input<4>, tn::Dense<3, tn::LeakyReLU<"-0.2">>>;
    M model(1);
    (void)model;
}
