// Whole models as a program uses them: a training step at the notebook's
// batch on one and two threads, and inference one image at a time.
#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks.hpp"
#include "l2_read.hpp"
#include "notebook_models.hpp"
#include "typenet/io/idx.hpp"
#include "typenet/typenet.hpp"

namespace bench {
namespace {

using typenet::AlignedFloats;

constexpr std::size_t image_size = 28 * 28;
constexpr std::size_t batch = 32;

// Debian's dataset-fashion-mnist.
const std::filesystem::path fashion_mnist_test_images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

struct Images {
    AlignedFloats pixels;
    std::size_t count = 0;
    std::string source;

    std::span<const float> rows(std::size_t first, std::size_t n) const {
        return pixels.span().subspan(first * image_size, n * image_size);
    }
};

// Thousands of different 28x28 images in [0, 1], so that the caches never
// hold the next input before it is used: Fashion-MNIST's 10000 test images
// where they are installed, as many images of uniform noise elsewhere (the
// work does not depend on the values).
const Images& images() {
    static const Images loaded = [] {
        if (std::filesystem::exists(fashion_mnist_test_images)) {
            const typenet::io::Images test = typenet::io::load_idx_images(fashion_mnist_test_images, 28, 28);
            Images images{AlignedFloats(test.pixels.size()), test.count, fashion_mnist_test_images.string()};
            std::copy(test.pixels.begin(), test.pixels.end(), images.pixels.data());
            return images;
        }
        constexpr std::size_t count = 10000;
        return Images{random_floats(count * image_size, 0.0f, 1.0f, 5), count, "uniform noise"};
    }();
    return loaded;
}

// Time per image: the inverse of the images done per second.
void report_time_per_image(benchmark::State& state, std::size_t images_per_iteration) {
    using benchmark::Counter;
    state.counters["time/image"] = Counter(static_cast<double>(images_per_iteration),
                                           Counter::kIsIterationInvariantRate | Counter::kInvert);
}

// An autoencoder's targets are its inputs; the denoiser's noise would change no work.
template <class M>
void training_step(benchmark::State& state, std::size_t threads) {
    static_assert(M::input_shape::size == image_size && M::output_shape::size == image_size);
    M model(0);
    typenet::Trainer<M, typenet::Adam, typenet::MSE, batch> trainer(model, typenet::Adam{}, threads);
    const Images& data = images();
    const std::size_t batches = data.count / batch;
    std::size_t next = 0;
    for (auto _ : state) {
        const std::span<const float> inputs = data.rows(next * batch, batch);
        benchmark::DoNotOptimize(trainer.step(inputs, inputs));
        benchmark::ClobberMemory();
        next = next + 1 == batches ? 0 : next + 1;
    }
    report_flops(state, batch * model_flops_per_row<M>(true), threads);
    report_time_per_image(state, batch);
}

// A classifier's step, on the test images with their labels' stand-ins (the
// work does not depend on which class a row names).
template <class M>
void classifier_training_step(benchmark::State& state, std::size_t threads) {
    static_assert(M::input_shape::size == image_size);
    M model(0);
    typenet::Trainer<M, typenet::Adam, typenet::SparseCategoricalCrossentropy<typenet::FromLogits>, batch> trainer(
        model, typenet::Adam{}, threads);
    const Images& data = images();
    std::vector<std::int32_t> labels(batch);
    for (std::size_t r = 0; r < batch; ++r) labels[r] = static_cast<std::int32_t>(r % 10);
    const std::size_t batches = data.count / batch;
    std::size_t next = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(trainer.step(data.rows(next * batch, batch), std::span<const std::int32_t>(labels)));
        benchmark::ClobberMemory();
        next = next + 1 == batches ? 0 : next + 1;
    }
    report_flops(state, batch * model_flops_per_row<M>(true), threads);
    report_time_per_image(state, batch);
}

// One hand-over of a job to the threads and back, with nothing to do: what
// each stage a BatchNormalization cuts into a step costs beyond its work.
void hand_over(benchmark::State& state) {
    typenet::Workers workers(2);
    std::size_t done = 0;
    auto job = [&](std::size_t t) { benchmark::DoNotOptimize(done += t); };
    for (auto _ : state) workers.run(job);
}

// One image at a time through the model; with reads_weights (a model whose
// single image is bound by reading its weights: the dense autoencoder), that
// time as a multiple of reading them once from L2 (l2_read.hpp): "L2_reads".
template <class M>
void inference(benchmark::State& state, bool reads_weights) {
    static_assert(M::input_shape::size == image_size);
    const double l2_read = reads_weights ? l2_read_seconds<Arch>(M::parameter_count) : 0.0;
    const M model(0);
    typenet::Workspace<M, 1> workspace;
    const Images& data = images();
    std::size_t next = 0;
    const double start = thread_seconds();
    for (auto _ : state) {
        const std::span<const float> output = model(workspace, data.rows(next, 1));
        benchmark::DoNotOptimize(output.data());
        benchmark::ClobberMemory();
        next = next + 1 == data.count ? 0 : next + 1;
    }
    const double seconds = thread_seconds() - start;
    report_flops(state, model_flops_per_row<M>(false));
    report_time_per_image(state, 1);
    if (reads_weights) state.counters["L2_reads"] = seconds / static_cast<double>(state.iterations()) / l2_read;
}

// The bound of one dense image: reading its 101,200 weights once from L2.
void l2_read(benchmark::State& state) {
    const auto count = static_cast<std::size_t>(state.range(0));
    AlignedFloats block(count);
    std::fill_n(block.data(), count, 1.0f);
    for (auto _ : state) benchmark::DoNotOptimize(read_floats<Arch>(block.data(), count));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * count * sizeof(float)));
}

template <class M>
void register_model(std::string_view name, bool reads_weights = false) {
    for (const std::size_t threads : {1, 2})
        benchmark::RegisterBenchmark(fmt::format("{}/training_step/batch:{}/threads:{}", name, batch, threads).c_str(),
                                     training_step<M>, threads)
            // The other threads' work is not in the calling thread's CPU time: time the wall clock.
            ->UseRealTime();
    benchmark::RegisterBenchmark(fmt::format("{}/inference/batch:1", name).c_str(), inference<M>, reads_weights);
}

// The CNN classifier as trained (its normalizations cut each step into
// stages), and the same network with each BatchNormalization replaced by a
// ChannelAffine, which has no statistics and cuts nothing: the difference is
// what training with batch statistics costs a step.
template <class Layer>
struct WithoutBatchStatistics {
    using type = Layer;
};
template <typenet::Decimal Momentum, typenet::Decimal Epsilon>
struct WithoutBatchStatistics<typenet::BatchNormalization<Momentum, Epsilon>> {
    using type = typenet::ChannelAffine;
};
template <class... Layers>
struct WithoutBatchStatistics<typenet::TypeList<Layers...>> {
    using type = typenet::Sequential<typename WithoutBatchStatistics<Layers>::type...>;
};
using CnnWithoutBatchStatistics =
    typenet::Model<typenet::Input<28, 28, 1>, WithoutBatchStatistics<notebook::CnnFeatures::layers>::type,
                   notebook::CnnClassifier>;

template <class M>
void register_classifier(std::string_view name) {
    for (const std::size_t threads : {1, 2})
        benchmark::RegisterBenchmark(fmt::format("{}/training_step/batch:{}/threads:{}", name, batch, threads).c_str(),
                                     classifier_training_step<M>, threads)
            ->UseRealTime();
}

}  // namespace

void register_model_benchmarks() {
    // Loaded here, before anything is timed.
    benchmark::AddCustomContext("images", fmt::format("{} ({} images)", images().source, images().count));
    constexpr std::size_t dense_weights = notebook::DenseAutoencoder::parameter_count;
    const double l2_read_dense = l2_read_seconds<Arch>(dense_weights);
    benchmark::AddCustomContext("L2 read (one core)",
                                fmt::format("{} floats ({:.0f} KB) in {:.2f} us, {:.1f} GB/s", dense_weights,
                                            dense_weights * sizeof(float) * 1e-3, l2_read_dense * 1e6,
                                            dense_weights * sizeof(float) / l2_read_dense * 1e-9));
    benchmark::RegisterBenchmark("l2_read", l2_read)->Arg(dense_weights);
    register_model<notebook::DenseAutoencoder>("dense_autoencoder", true);
    register_model<notebook::DenoisingAutoencoder>("denoising_autoencoder");
    register_model<notebook::ConvAutoencoder>("conv_autoencoder");
    register_model<notebook::UNetDenoiser>("unet_denoiser");
    register_classifier<notebook::FashionCnn>("fashion_cnn");
    register_classifier<CnnWithoutBatchStatistics>("fashion_cnn_without_batch_statistics");
    benchmark::RegisterBenchmark("workers/hand_over/threads:2", hand_over)->UseRealTime();
}

}  // namespace bench
