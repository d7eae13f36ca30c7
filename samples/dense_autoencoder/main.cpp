// The notebook's first model: a dense autoencoder trained on Fashion-MNIST,
// then its encoder and decoder used on their own, as the notebook does.
#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/training_command_line.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::DenseAutoencoder;
using notebook::DenseDecoder;
using notebook::DenseEncoder;

// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
using Image = tn::Shape<28, 28>;

int main(int argc, char** argv) {
    const std::string program = "dense_autoencoder";
    const samples::TrainingFlags flags = samples::parse_training_command_line(
        argc, argv,
        {.program = program,
         .description = "Trains the notebook's dense autoencoder (784 -> 64 -> 784) on Fashion-MNIST.",
         .batch_capacity = batch_capacity,
         .out = "out/dense"});
    samples::print_summary_if_asked<DenseAutoencoder>(flags);

    const auto data = samples::load_data_or_exit(program, flags.data);

    const tn::Samples<Image> train{data.train_images.pixels}, test{data.test_images.pixels};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    DenseAutoencoder model(flags.seed);
    tn::Trainer<DenseAutoencoder, tn::Adam, tn::MSE, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    samples::TrainingFiles files(program, flags, trainer, "MSE, per pixel");
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    tn::History history;
    samples::run_or_exit(program, [&] {
        tn::fit(trainer, train, train, test, test, files.fit_options(resumed, history));
        files.finish("trained_dense_autoencoder");

        // As the notebook: encode every test image to 64 numbers, then decode the codes.
        tn::Workspace<DenseAutoencoder, 256> workspace;
        const auto codes = tn::predict(model.part<DenseEncoder>(), workspace, test.values());
        const auto decoded = tn::predict(model.part<DenseDecoder>(), workspace, codes);
        fmt::print("encoded {} test images to {} codes of 64; decoded them back to 28x28\n", test.count(),
                   codes.size() / 64);
        samples::write_image_rows(flags.out / "reconstructions.png",
                                  "dense_autoencoder: test images and their reconstructions",
                                  {{"original", test.values()}, {"reconstructed", decoded}});
    });
    fmt::print("wrote history.csv, loss.svg, checkpoint.tnm, model.tnm and reconstructions.png into {}\n", flags.out.string());
    fmt::print("val_loss: {:.5f}\n", history.back().val_loss);
}
