// The notebook's first model: a dense autoencoder trained on Fashion-MNIST,
// then its encoder and decoder used on their own, as the notebook does.
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "common/sample_cli.hpp"
#include "notebook_models.hpp"
#include "typenet/io/idx.hpp"
#include "typenet/io/png.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::DenseAutoencoder;
using notebook::DenseDecoder;
using notebook::DenseEncoder;

// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
using Image = tn::Shape<28, 28>;

namespace {

// Runs a part of the model over every row of inputs, batch by batch, into one array.
template <class Part, std::size_t Capacity>
std::vector<float> run_part(const Part& part, tn::Workspace<DenseAutoencoder, Capacity>& workspace,
                            std::span<const float> inputs) {
    constexpr std::size_t in = Part::input_shape::size, out = Part::output_shape::size;
    const std::size_t rows = inputs.size() / in;
    std::vector<float> outputs(rows * out);
    for (std::size_t first = 0; first < rows; first += Capacity) {
        const std::size_t count = std::min(Capacity, rows - first);
        const auto result = part(workspace, inputs.subspan(first * in, count * in));
        std::copy(result.begin(), result.end(), outputs.begin() + static_cast<std::ptrdiff_t>(first * out));
    }
    return outputs;
}

// 10 originals over their reconstructions, each 28x28 image scaled 4 times.
tn::io::GrayImage reconstruction_figure(std::span<const float> originals, std::span<const float> reconstructions) {
    constexpr std::size_t n = 10, scale = 4, side = 28 * scale, gap = 4;
    auto canvas = tn::io::make_canvas(n * (side + gap) + gap, 2 * (side + gap) + gap, 1.0f);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t x = gap + i * (side + gap);
        tn::io::paste(canvas, originals.subspan(i * 784, 784), 28, 28, x, gap, scale);
        tn::io::paste(canvas, reconstructions.subspan(i * 784, 784), 28, 28, x, 2 * gap + side, scale);
    }
    return canvas;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string program = "dense_autoencoder";
    CLI::App app{"Trains the notebook's dense autoencoder (784 -> 64 -> 784) on Fashion-MNIST.", program};
    samples::TrainingFlags flags;
    flags.out = "out/dense";
    samples::add_training_flags(app, flags, batch_capacity);
    samples::parse_flags(app, argc, argv);

    tn::io::Dataset data;
    try {
        data = tn::io::load_fashion_mnist(flags.data);
    } catch (const tn::DataError& e) {
        samples::fail(program, samples::exit_data_error, e.what());
    }
    samples::prepare_output_folder(program, flags.out);

    const tn::Samples<Image> train{data.train_images.pixels}, test{data.test_images.pixels};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    DenseAutoencoder model(flags.seed);
    tn::Trainer<DenseAutoencoder, tn::Adam, tn::MSE, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)});
    tn::FitOptions options;
    options.epochs = flags.epochs;
    options.batch_size = flags.batch;
    options.seed = flags.seed;
    tn::History history;
    options.on_epoch_end = [&](const tn::EpochRecord& record) {
        history.push_back(record);
        samples::write_history_csv(flags.out / "history.csv", history);
    };
    try {
        tn::fit(trainer, train, train, test, test, options);

        // As the notebook: encode every test image to 64 numbers, then decode the codes.
        tn::Workspace<DenseAutoencoder, 256> workspace;
        const auto codes = run_part(model.part<DenseEncoder>(), workspace, test.values());
        const auto decoded = run_part(model.part<DenseDecoder>(), workspace, codes);
        fmt::print("encoded {} test images to {} codes of 64; decoded them back to 28x28\n", test.count(),
                   codes.size() / 64);
        tn::io::write_png(flags.out / "reconstructions.png", reconstruction_figure(test.values(), decoded));
    } catch (const tn::DataError& e) {
        samples::fail(program, samples::exit_data_error, e.what());
    }
    fmt::print("wrote {}, {}\n", (flags.out / "history.csv").string(), (flags.out / "reconstructions.png").string());
    fmt::print("val_loss: {:.5f}\n", history.back().val_loss);
}
