// An optimizer written as a plain function object, with no State or step: the
// trainer refuses it, naming the concept it breaks.
// expect: GradientOptimizer
// expect: PlainDescent
#include "typenet/typenet.hpp"

namespace tn = typenet;

struct PlainDescent {
    float learning_rate = 0.01f;
    void operator()(float* w, const float* g, std::size_t n) const {
        for (std::size_t i = 0; i < n; ++i) w[i] -= learning_rate * g[i];
    }
};

using Net = tn::Model<tn::Input<4>, tn::Dense<4>>;

int main() {
    Net model;
    tn::Trainer<Net, PlainDescent, tn::MSE, 8> trainer(model);
}
