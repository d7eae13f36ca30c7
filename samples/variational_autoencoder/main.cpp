// TensorFlow's "Convolutional Variational Autoencoder" tutorial on
// Fashion-MNIST, binarized as the tutorial binarizes MNIST (a pixel is 1
// where its value is above 0.5, else 0), with a latent space of 2: the
// encoder gives each image a mean and a log-variance, Sampling draws z from
// them, the decoder gives each pixel's probability. The loss is the negative
// ELBO as the tutorial estimates it, with one sample:
// -(log p(x|z) + log p(z) - log q(z|x)), log p(x|z) the pixels' sigmoid
// crossentropies summed over the image (binary_crossentropy on the progress
// line) and log q(z|x) - log p(z) Sampling's kl_loss. Adam with the tutorial's
// learning rate 1e-4, batches of 32, 10 epochs; validated on the test images
// with draws of their own, fixed by the seed, so val_loss is minus the test
// ELBO. Then generated.png, images decoded from a grid of latent points, and
// latent.png, the test images' means coloured by class.
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/classification_report.hpp"
#include "common/plot.hpp"
#include "common/training_command_line.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::VariationalAutoencoder;

// Each image's pixel crossentropies summed: minus log p(x|z), in nats.
using Loss = tn::SumPerRow<tn::BinaryCrossentropy<>>;
// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
constexpr std::size_t side = 28;

namespace {

std::vector<float> binarized(const std::vector<float>& pixels) {
    std::vector<float> binary(pixels.size());
    for (std::size_t i = 0; i < pixels.size(); ++i) binary[i] = pixels[i] > 0.5f ? 1.0f : 0.0f;
    return binary;
}

// The x at which the standard normal's distribution function is p (scipy's
// norm.ppf), by bisection: exact to a double's precision, and only 20 are needed.
double standard_normal_quantile(double p) {
    double low = -10.0, high = 10.0;
    for (int i = 0; i < 100; ++i) {
        const double middle = 0.5 * (low + high);
        (0.5 * std::erfc(-middle / std::sqrt(2.0)) < p ? low : high) = middle;
    }
    return 0.5 * (low + high);
}

// The tutorial's plot_latent_images: the decoder on an n x n grid of latent
// points at the standard normal's quantiles 0.05 to 0.95, the first latent
// number growing along a row, the second down a column.
template <class Decoder, class W>
void write_generated(const std::filesystem::path& file, const std::string& program, const Decoder& decoder,
                     W& workspace) {
    constexpr std::size_t n = 20;
    std::vector<double> quantiles(n);
    for (std::size_t i = 0; i < n; ++i) quantiles[i] = standard_normal_quantile(0.05 + 0.9 * double(i) / (n - 1));
    std::vector<float> codes;
    for (std::size_t row = 0; row < n; ++row)
        for (std::size_t column = 0; column < n; ++column) {
            codes.push_back(static_cast<float>(quantiles[column]));
            codes.push_back(static_cast<float>(quantiles[row]));
        }
    const std::vector<float> images = tn::predict(decoder, workspace, codes);
    samples::plot::ImageGrid grid{
        .title = program + ": images decoded from latent points at the standard normal's quantiles 0.05 to 0.95",
        .columns = n,
        .scale = 2};
    for (std::size_t i = 0; i < n * n; ++i)
        grid.images.push_back({.pixels = std::span<const float>(images).subspan(i * side * side, side * side)});
    samples::plot::write_image_grid(file, grid);
}

// The test images' means in the latent space (the encoder's first two numbers), coloured by class.
template <class Encoder, class W>
void write_latent(const std::filesystem::path& file, const Encoder& encoder, W& workspace, std::span<const float> images,
                  const std::vector<std::uint8_t>& labels) {
    const std::vector<float> codes = tn::predict(encoder, workspace, images);
    constexpr std::size_t per_image = 2 * notebook::vae_latent;
    samples::plot::ScatterPlot figure{.title = "the test images' means in the latent space",
                                      .x_label = "z[0]",
                                      .y_label = "z[1]",
                                      .group_names = {samples::class_names.begin(), samples::class_names.end()}};
    for (std::size_t i = 0; i < labels.size(); ++i) {
        figure.x.push_back(codes[i * per_image]);
        figure.y.push_back(codes[i * per_image + 1]);
        figure.group.push_back(labels[i]);
    }
    samples::plot::write_scatter_plot(file, figure);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string program = "variational_autoencoder";
    const samples::TrainingFlags flags = samples::parse_training_command_line(
        argc, argv,
        {.program = program,
         .description = "Trains TensorFlow's convolutional variational autoencoder (latent size 2) on binarized "
                        "Fashion-MNIST, then decodes a grid of latent points and maps the test images' means.",
         .footer = "Writes history.csv, loss.svg, checkpoint.tnm, model.tnm, generated.png and latent.png into "
                   "--out; the last line is the test set's ELBO (nats an image).\n"
                   "Exit codes: 0 done, 1 bad data, 2 bad usage, 3 training met a non-finite loss or gradient.",
         .batch_capacity = batch_capacity,
         .learning_rate = 1e-4,
         .out = "out/vae"});
    samples::print_summary_if_asked<VariationalAutoencoder>(flags);

    const auto data = samples::load_data_or_exit(program, flags.data);
    const std::vector<float> train_pixels = binarized(data.train_images.pixels);
    const std::vector<float> test_pixels = binarized(data.test_images.pixels);
    const tn::Samples<tn::Shape<side, side, 1>> train{train_pixels}, test{test_pixels};
    fmt::print("Fashion-MNIST, binarized: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    VariationalAutoencoder model(flags.seed);
    tn::Trainer<VariationalAutoencoder, tn::Adam, Loss, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    samples::TrainingFiles files(program, flags, trainer, "negative ELBO, nats an image", false);
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    tn::History history;
    samples::run_or_exit(program, [&] {
        auto options = files.fit_options(resumed, history);
        // The test ELBO's draws: the same every epoch, fixed by the run's seed
        // (a training step never draws with step 0's keys).
        options.validation_draws = tn::Draws{.seed = resumed.seed};
        tn::fit(trainer, train, train, test, test, options);
        files.finish("trained_variational_autoencoder");
        write_generated(flags.out / "generated.png", program, model.part<notebook::VaeDecoder>(), trainer.workspace());
        write_latent(flags.out / "latent.png", model.part<notebook::VaeEncoder>(), trainer.workspace(), test.values(),
                     data.test_labels);
    });
    fmt::print("wrote history.csv, loss.svg, checkpoint.tnm, model.tnm, generated.png and latent.png into {}\n",
               flags.out.string());
    fmt::print("test_elbo: {:.2f}\n", -history.back().val_loss);
    return 0;
}
