// The Activation layer on its own, forward and backward, with the activations
// that have no layer to fuse into in Keras's models: LeakyReLU and ELU after
// a convolution without a bias (and, later, a normalization). Element-wise
// passes are bound by memory, not arithmetic, so they are reported in bytes
// moved per second, not FLOP/s.
#include <cstddef>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks.hpp"
#include "typenet/typenet.hpp"

namespace bench {
namespace {

using typenet::AlignedFloats;

// The notebook's batch of 32 at the denoiser's largest activation, 28x28x16
// (1.6 MB a buffer); inputs either side of 0, where the activations bend.
using Image = typenet::Shape<28, 28, 16>;
constexpr std::size_t rows = 32;
constexpr std::size_t count = rows * Image::size;

template <class Act>
using Bound = typename typenet::Activation<Act>::template Bound<Image>;

// Reads x, writes y.
template <class Act>
void activation_forward(benchmark::State& state) {
    const AlignedFloats x = random_floats(count, -2.0f, 2.0f, 1);
    AlignedFloats y(count);
    for (auto _ : state) {
        Bound<Act>::template forward<Arch>(nullptr, x.data(), y.data(), rows, nullptr);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * count * 2 * sizeof(float)));
}

// Reads dy and y, writes dx. The layer leaves dy as it was (it may not:
// layer.hpp), so every call sees the same gradients.
template <class Act>
void activation_backward(benchmark::State& state) {
    const AlignedFloats x = random_floats(count, -2.0f, 2.0f, 2);
    AlignedFloats y(count), dx(count), dy = random_floats(count, -1.0f, 1.0f, 3);
    Bound<Act>::template forward<Arch>(nullptr, x.data(), y.data(), rows, nullptr);
    for (auto _ : state) {
        Bound<Act>::template backward<Arch>(nullptr, x.data(), y.data(), dy.data(), dx.data(), nullptr,
                                            rows, nullptr);
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * count * 3 * sizeof(float)));
}

// Names such as "Activation(leaky_relu(0.3))/32x28x28x16/forward".
template <class Act>
void register_activation() {
    const std::string name = fmt::format("Activation({})/{}x{}", Act::name, rows, shape_name<Image>());
    benchmark::RegisterBenchmark(fmt::format("{}/forward", name).c_str(), activation_forward<Act>);
    benchmark::RegisterBenchmark(fmt::format("{}/backward", name).c_str(), activation_backward<Act>);
}

}  // namespace

void register_activation_benchmarks() {
    register_activation<typenet::LeakyReLU<>>();
    register_activation<typenet::ELU<>>();
}

}  // namespace bench
