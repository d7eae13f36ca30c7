// An ELU whose alpha is not positive: its derivative, y + alpha, holds only
// for a positive one. The compiler names the activation and gives Keras's default.
// expect: typenet: ELU's alpha must be positive (Keras's default is 1)
// expect: ELU
#include "typenet/typenet.hpp"

namespace tn = typenet;

int main() {
    using M = tn::Model<tn::Input<4>, tn::Activation<tn::ELU<"0">>>;
    M model(1);
    (void)model;
}
