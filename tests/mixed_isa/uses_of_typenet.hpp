#pragma once
// What an app does with typenet in each of its units: inference through an
// InlineWorkspace, a training step on two threads, a model file written and
// read back. Each unit that includes this gets its own copy of these
// functions (internal linkage); the library code they instantiate is what the
// units share by name, and what must not be shared across instruction sets.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <typenet/io/model_file.hpp>
#include <typenet/typenet.hpp>

namespace {

namespace tn = typenet;
// Ten outputs: an AVX-512 unit covers them with narrower kernels, which it
// instantiates under the same names the AVX2 unit uses.
using Net = tn::Model<tn::Input<20>, tn::Dense<10, tn::ReLU>>;

std::vector<float> ramp(std::size_t count, float scale) {
    std::vector<float> values(count);
    for (std::size_t i = 0; i < count; ++i) values[i] = scale * float(i % 7) - 0.3f;
    return values;
}

float run_inference() {
    static const Net model(3);
    static tn::InlineWorkspace<Net, 1> workspace;
    const auto input = ramp(20, 0.1f);
    float sum = 0.0f;
    for (float y : model(workspace, std::span<const float>(input))) sum += y;
    return sum;
}

double run_training() {
    Net model(4);
    tn::Trainer<Net, tn::Adam, tn::MSE, 8> trainer(model, tn::Adam{}, 2);
    const auto inputs = ramp(8 * 20, 0.05f), targets = ramp(8 * 10, 0.02f);
    double loss = 0.0;
    for (int step = 0; step < 5; ++step) loss = trainer.step(inputs, targets);
    return loss;
}

bool round_trip_model_file(const std::string& name) {
    const Net model(5);
    const auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".tnm");
    tn::io::save_model(path, model);
    Net loaded(6);
    tn::io::load_model(path, loaded);
    std::filesystem::remove(path);
    return std::equal(model.parameters().begin(), model.parameters().end(), loaded.parameters().begin());
}

}  // namespace
