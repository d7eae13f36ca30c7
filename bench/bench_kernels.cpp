// The pieces of a training step on their own: the FMA peak, every layer of
// the notebook's two models forward and backward, the activations, Adam,
// softmax and the crossentropies.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks.hpp"
#include "notebook_models.hpp"
#include "peak_fma.hpp"
#include "typenet/kernels/elementwise.hpp"
#include "typenet/kernels/losses.hpp"
#include "typenet/kernels/optimizers.hpp"
#include "typenet/kernels/softmax.hpp"
#include "typenet/typenet.hpp"

namespace bench {
namespace {

using typenet::AlignedFloats;

void peak_fma(benchmark::State& state) {
    constexpr std::uint64_t rounds = 4096;
    for (auto _ : state) fma_rounds<Arch>(rounds);
    report_flops(state, fma_flops<Arch>(rounds));
}

// Bound layer I of model M on its own, with fresh parameters, inputs in
// [0, 1) as images and ReLU outputs are, and the outputs forward makes of them.
template <class M, std::size_t I>
struct LayerData {
    using B = typename M::graph::template bound<I>;
    using Layer = typenet::type_at<I, typename M::graph::layer_list>;

    explicit LayerData(std::size_t row_count)
        : rows(row_count),
          parameters(B::parameter_count),
          x(random_floats(rows * B::input_shape::size, 0.0f, 1.0f, I)),
          y(rows * B::output_shape::size),
          scratch(B::scratch_floats) {
        typenet::Random random(I);
        B::initialize(parameters.data(), random);
        forward();
    }

    void forward() { B::template forward<Arch>(parameters.data(), x.data(), y.data(), rows, scratch.data()); }

    std::size_t rows;
    AlignedFloats parameters, x, y, scratch;
};

// The rate of a layer: GFLOP/s of its product, or for a layer without one the
// bytes of the arrays it reads and writes, each counted once (forward: x, y;
// backward: x, y, dy, dx).
template <class B>
void report_layer_rate(benchmark::State& state, std::size_t rows, double flops, std::size_t arrays_of_each_side) {
    if constexpr (has_product<B>) {
        report_flops(state, flops);
    } else {
        const std::size_t floats = rows * (B::input_shape::size + B::output_shape::size) * arrays_of_each_side;
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * floats * sizeof(float)));
    }
}

// The activation of a layer type, if it has one (Linear otherwise).
template <class Layer>
struct activation_of_layer {
    using type = typenet::Linear;
};
template <class Layer>
    requires requires { typename Layer::activation; }
struct activation_of_layer<Layer> {
    using type = typename Layer::activation;
};
template <class Layer>
using activation_of = typename activation_of_layer<Layer>::type;

template <class M, std::size_t I>
void layer_forward(benchmark::State& state, std::size_t rows) {
    LayerData<M, I> layer(rows);
    for (auto _ : state) {
        layer.forward();
        benchmark::DoNotOptimize(layer.y.data());
        benchmark::ClobberMemory();
    }
    using B = typename LayerData<M, I>::B;
    report_layer_rate<B>(state, rows, forward_flops<B>(rows), 1);
}

template <class M, std::size_t I>
void layer_backward(benchmark::State& state, std::size_t rows) {
    using B = typename LayerData<M, I>::B;
    using Act = activation_of<typename LayerData<M, I>::Layer>;
    constexpr bool input_gradient = needs_input_gradient<M, I>;
    // Backward overwrites dy with dy f'(y) (layer.hpp). Where f' is 0 or 1
    // that changes nothing after the first call; sigmoid's f' (at most 1/4)
    // would shrink dy into denormals within a hundred calls, and those would
    // be timed instead, so such layers start every call from a fresh dy. The
    // copy is timed with them (at most 4% of their time: 12 us of 330 at 256 rows).
    constexpr bool fresh_dy = !std::is_same_v<Act, typenet::ReLU> && !std::is_same_v<Act, typenet::Linear>;
    LayerData<M, I> layer(rows);
    const std::size_t outputs = rows * B::output_shape::size;
    const AlignedFloats loss_gradient = random_floats(outputs, -1.0f, 1.0f, 100 + I);
    AlignedFloats dy = loss_gradient, dx(input_gradient ? rows * B::input_shape::size : 0),
                  grad_parameters(B::parameter_count);
    for (auto _ : state) {
        if constexpr (fresh_dy) std::copy_n(loss_gradient.data(), outputs, dy.data());
        B::template backward<Arch>(layer.parameters.data(), layer.x.data(), layer.y.data(), dy.data(),
                                   input_gradient ? dx.data() : nullptr, grad_parameters.data(), rows,
                                   layer.scratch.data());
        benchmark::DoNotOptimize(grad_parameters.data());
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    report_layer_rate<B>(state, rows, backward_flops<B>(rows, input_gradient), 2);
}

// Names such as "dense_autoencoder/1:Dense(784->64,relu)/forward/rows:32".
template <class M, std::size_t I>
void register_layer(std::string_view model_name, std::span<const std::size_t> row_counts) {
    using B = typename M::graph::template bound<I>;
    if constexpr (!B::is_view) {
        using Layer = typename LayerData<M, I>::Layer;
        const std::string activation =
            requires { typename Layer::activation; } ? fmt::format(",{}", activation_of<Layer>::name) : "";
        const std::string layer = fmt::format("{}/{}:{}({}->{}{})", model_name, I, B::kind,
                                              shape_name<typename B::input_shape>(),
                                              shape_name<typename B::output_shape>(), activation);
        for (const std::size_t rows : row_counts) {
            benchmark::RegisterBenchmark(fmt::format("{}/forward/rows:{}", layer, rows).c_str(),
                                         layer_forward<M, I>, rows);
            benchmark::RegisterBenchmark(fmt::format("{}/backward/rows:{}", layer, rows).c_str(),
                                         layer_backward<M, I>, rows);
        }
    }
}

template <class M>
void register_layers(std::string_view model_name, std::span<const std::size_t> row_counts) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (register_layer<M, I>(model_name, row_counts), ...);
    }(std::make_index_sequence<M::graph::layer_count>{});
}

// Floating-point operations per element of add_bias_activate, as the vector
// code does them: an FMA counts 2; comparisons, selects, sign flips and
// exponent bit tricks count 0. ReLU: the bias add and the max. Sigmoid: the
// bias add, xsimd's exp (a multiply and two FMAs of range reduction, a
// Horner polynomial of 4 FMAs, a square, an FMA and an increment: 17), then
// an add and a divide.
template <class Act>
constexpr double activation_flops() {
    if constexpr (std::is_same_v<Act, typenet::ReLU>) {
        return 2.0;
    } else {
        static_assert(std::is_same_v<Act, typenet::Sigmoid>, "count the activation's operations here");
        return 20.0;
    }
}

// y = f(y + bias) in place over a batch of 32 decoder outputs of 784. Repeated
// in place, sigmoid stays in (0, 1) and ReLU grows by at most 0.1 a call.
template <class Act>
void bias_activation(benchmark::State& state) {
    constexpr std::size_t rows = 32, columns = 784;
    AlignedFloats y = random_floats(rows * columns, -4.0f, 4.0f, 1);
    const AlignedFloats bias = random_floats(columns, -0.1f, 0.1f, 2);
    for (auto _ : state) {
        typenet::kernels::add_bias_activate<Arch, Act>(y.data(), bias.data(), rows, columns);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    report_flops(state, activation_flops<Act>() * rows * columns);
    state.SetBytesProcessed(state.iterations() * rows * columns * 2 * sizeof(float));
}

// Keras's Adam over every parameter of the dense autoencoder, as its training step runs it.
void adam_update(benchmark::State& state) {
    constexpr std::size_t n = notebook::DenseAutoencoder::parameter_count;
    const typenet::Adam keras;
    AlignedFloats weights = random_floats(n, -0.1f, 0.1f, 3), m(n), v(n);
    // Gradients away from 0: v follows g^2 and would decay into denormals where g is 0.
    const AlignedFloats gradients = random_floats(n, 1e-3f, 1.0f, 4);
    for (auto _ : state) {
        typenet::kernels::adam_update<Arch>(weights.data(), gradients.data(), m.data(), v.data(), n,
                                            keras.learning_rate, keras.beta1, keras.beta2, keras.epsilon);
        benchmark::DoNotOptimize(weights.data());
        benchmark::ClobberMemory();
    }
    // Per parameter: m (subtract, FMA: 3), v (square, subtract, FMA: 4),
    // w (square root, add, multiply, divide, subtract: 5).
    report_flops(state, 12.0 * n);
    // Reads w, g, m and v; writes w, m and v.
    state.SetBytesProcessed(state.iterations() * n * 7 * sizeof(float));
}

// Softmax over a batch of 32 rows of n classes (10: Fashion-MNIST's), and
// its backward. Counted in elements, not FLOPs: most of the time is exp.
void softmax_forward(benchmark::State& state, std::size_t n) {
    constexpr std::size_t rows = 32;
    const AlignedFloats z = random_floats(rows * n, -8.0f, 8.0f, 5);
    AlignedFloats y(rows * n);
    for (auto _ : state) {
        typenet::kernels::softmax<Arch>(z.data(), y.data(), rows, n);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * rows * n);
}

void softmax_backward(benchmark::State& state, std::size_t n) {
    constexpr std::size_t rows = 32;
    const AlignedFloats z = random_floats(rows * n, -8.0f, 8.0f, 6), dy = random_floats(rows * n, -1.0f, 1.0f, 7);
    AlignedFloats y(rows * n), dx(rows * n);
    typenet::kernels::softmax<Arch>(z.data(), y.data(), rows, n);
    for (auto _ : state) {
        typenet::kernels::softmax_backward<Arch>(y.data(), dy.data(), dx.data(), rows, n);
        benchmark::DoNotOptimize(dx.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * rows * n);
}

// The classifier's loss and its gradient: 32 rows of n logits and their labels.
void sparse_crossentropy_from_logits(benchmark::State& state, std::size_t n) {
    constexpr std::size_t rows = 32;
    const AlignedFloats z = random_floats(rows * n, -8.0f, 8.0f, 8);
    std::vector<std::int32_t> labels(rows);
    for (std::size_t r = 0; r < rows; ++r) labels[r] = static_cast<std::int32_t>((r * 7) % n);
    AlignedFloats gradient(rows * n);
    for (auto _ : state) {
        benchmark::DoNotOptimize(typenet::kernels::sparse_categorical_crossentropy_from_logits<Arch>(
            z.data(), labels.data(), rows, n, 1.0f / rows, gradient.data()));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * rows * n);
}

// Binary crossentropy of 32 decoder outputs of 784 logits, with its gradient.
void binary_crossentropy_from_logits(benchmark::State& state) {
    constexpr std::size_t count = 32 * 784;
    const AlignedFloats z = random_floats(count, -8.0f, 8.0f, 9), t = random_floats(count, 0.0f, 1.0f, 10);
    AlignedFloats gradient(count);
    for (auto _ : state) {
        benchmark::DoNotOptimize(typenet::kernels::binary_crossentropy_from_logits<Arch>(
            z.data(), t.data(), count, 1.0f / count, gradient.data()));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * count);
    state.SetBytesProcessed(state.iterations() * count * 3 * sizeof(float));
}

}  // namespace

void register_kernel_benchmarks() {
    benchmark::RegisterBenchmark(fmt::format("peak_fma/{}/chains:{}", Arch::name(), fma_chains).c_str(), peak_fma);

    // The dense products at a single image, the notebook's batch and a large batch;
    // the convolutions at the notebook's batch.
    constexpr std::size_t dense_rows[] = {1, 32, 256};
    constexpr std::size_t conv_rows[] = {32};
    register_layers<notebook::DenseAutoencoder>("dense_autoencoder", dense_rows);
    register_layers<notebook::DenoisingAutoencoder>("denoising_autoencoder", conv_rows);
    register_layers<notebook::ConvAutoencoder>("conv_autoencoder", conv_rows);
    // The poolings no sample has, after a ReLU as a model would have them (a
    // first layer computes no input gradient, so backward would do nothing).
    namespace tn = typenet;
    using AveragePooling = tn::Model<tn::Input<28, 28, 16>, tn::Activation<tn::ReLU>, tn::AveragePooling2D<2, 2, tn::Same>>;
    using GlobalAverage = tn::Model<tn::Input<7, 7, 16>, tn::Activation<tn::ReLU>, tn::GlobalAveragePooling2D>;
    using GlobalMax = tn::Model<tn::Input<7, 7, 16>, tn::Activation<tn::ReLU>, tn::GlobalMaxPooling2D>;
    register_layer<AveragePooling, 1>("pooling", conv_rows);
    register_layer<GlobalAverage, 1>("pooling", conv_rows);
    register_layer<GlobalMax, 1>("pooling", conv_rows);

    benchmark::RegisterBenchmark("add_bias_activate/relu/32x784", bias_activation<typenet::ReLU>);
    benchmark::RegisterBenchmark("add_bias_activate/sigmoid/32x784", bias_activation<typenet::Sigmoid>);
    benchmark::RegisterBenchmark(
        fmt::format("adam_update/{}", notebook::DenseAutoencoder::parameter_count).c_str(), adam_update);
    for (const std::size_t classes : {10, 1000}) {
        benchmark::RegisterBenchmark(fmt::format("softmax/32x{}", classes).c_str(), softmax_forward, classes);
        benchmark::RegisterBenchmark(fmt::format("softmax_backward/32x{}", classes).c_str(), softmax_backward, classes);
        benchmark::RegisterBenchmark(fmt::format("sparse_categorical_crossentropy_from_logits/32x{}", classes).c_str(),
                                     sparse_crossentropy_from_logits, classes);
    }
    benchmark::RegisterBenchmark("binary_crossentropy_from_logits/32x784", binary_crossentropy_from_logits);
}

}  // namespace bench
