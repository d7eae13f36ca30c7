// A loss without its name (history.csv and the progress line print it): the
// trainer refuses it, naming the concept it breaks.
// expect: LossFunction
// expect: HuberWithoutName
#include "typenet/typenet.hpp"

namespace tn = typenet;

struct HuberWithoutName {
    template <class Arch>
    static double sum(const float*, const float*, std::size_t, float = 0.0f, float* = nullptr) {
        return 0.0;
    }
};

using Net = tn::Model<tn::Input<4>, tn::Dense<4>>;

int main() {
    Net model;
    tn::Trainer<Net, tn::Adam, HuberWithoutName, 8> trainer(model);
}
