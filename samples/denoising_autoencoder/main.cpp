// The notebook's second model: a convolutional autoencoder that learns to
// remove Gaussian noise, trained as the TensorFlow tutorial trains it
// (noisy images in, clean images as targets, validated on the noisy test set).
#include <bit>

#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/sample_cli.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/noise.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::DenoisingAutoencoder;

// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
using Image = tn::Shape<28, 28, 1>;

int main(int argc, char** argv) {
    const std::string program = "denoising_autoencoder";
    CLI::App app{"Trains the notebook's denoising convolutional autoencoder on Fashion-MNIST.", program};
    samples::TrainingFlags flags;
    flags.out = "out/denoise";
    samples::add_training_flags(app, flags, batch_capacity);
    samples::add_model_file_flags(app, flags);
    double noise_factor = 0.2;
    app.add_option("--noise", noise_factor, "standard deviation of the added Gaussian noise, 0 to 1")
        ->capture_default_str()
        ->check(samples::between(0.0, 1.0, "a noise factor from 0 to 1"));
    samples::parse_flags(app, argc, argv);

    const auto data = samples::load_data_or_exit(program, flags.data);

    DenoisingAutoencoder model(flags.seed);
    tn::Trainer<DenoisingAutoencoder, tn::Adam, tn::MSE, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    samples::TrainingFiles files(program, flags, trainer, "MSE, per pixel");
    files.extra().values["noise_factor"] = std::bit_cast<std::uint64_t>(noise_factor);
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    if (const auto stored = resumed.values.find("noise_factor"); stored != resumed.values.end())
        noise_factor = std::bit_cast<double>(stored->second);  // a resumed run keeps its noise

    // Drawn once, as the notebook does, for the training and the test images; targets stay clean.
    tn::Random noise(resumed.seed, tn::Stream::noise);
    const auto train_noisy = tn::add_gaussian_noise(data.train_images.pixels, static_cast<float>(noise_factor), noise);
    const auto test_noisy = tn::add_gaussian_noise(data.test_images.pixels, static_cast<float>(noise_factor), noise);
    const tn::Samples<Image> train{data.train_images.pixels}, test{data.test_images.pixels};
    const tn::Samples<Image> noisy_train{train_noisy}, noisy_test{test_noisy};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}, noise factor {}\n", train.count(), test.count(),
               flags.data.string(), noise_factor);

    tn::History history;
    samples::run_or_exit(program, [&] {
        tn::fit(trainer, noisy_train, train, noisy_test, test, files.fit_options(resumed, history));
        files.finish("trained_denoising_autoencoder");

        tn::Workspace<DenoisingAutoencoder, 256> workspace;
        const auto codes = tn::predict(model.part<notebook::DenoiseEncoder>(), workspace, noisy_test.values());
        const auto denoised = tn::predict(model.part<notebook::DenoiseDecoder>(), workspace, codes);
        samples::write_image_rows(flags.out / "denoised.png", "denoising_autoencoder: test images, with noise, denoised",
                                  {{"original", test.values()}, {"noisy", test_noisy}, {"denoised", denoised}});
    });
    fmt::print("wrote history.csv, loss.svg, checkpoint.tnm, model.tnm and denoised.png into {}\n", flags.out.string());
    fmt::print("val_loss: {:.5f}\n", history.back().val_loss);
}
