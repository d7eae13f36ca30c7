// Trains a small autoencoder for a few steps and checks that it learned, with
// nothing but the installed headers.
#include <cstdio>
#include <vector>

#include <typenet/typenet.hpp>

namespace tn = typenet;
using Net = tn::Model<tn::Input<8, 8>, tn::Flatten, tn::Dense<16, tn::ReLU>, tn::Dense<64, tn::Sigmoid>, tn::Reshape<8, 8>>;

int main() {
    Net model(1);
    tn::Trainer<Net, tn::Adam, tn::MSE, 16> trainer(model, tn::Adam{.learning_rate = 0.01f});
    std::vector<float> images(16 * 64);
    for (std::size_t i = 0; i < images.size(); ++i) images[i] = float((i / 8 + i) % 3) / 2.0f;
    const double first = trainer.step(images, images);
    double last = first;
    for (int step = 0; step < 200; ++step) last = trainer.step(images, images);
    std::printf("loss %.5f -> %.5f\n", first, last);
    return last < 0.5 * first ? 0 : 1;
}
