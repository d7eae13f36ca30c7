// The deep convolutional autoencoder of the Keras blog post "Building
// Autoencoders in Keras", on Fashion-MNIST: convolutions and max pooling down
// to 4x4x8, convolutions and upsampling back to 28x28, a sigmoid output
// trained with binary crossentropy per pixel (from its logits, as tf.keras
// does), Adam, batches of 32.
#include <fmt/format.h>

#include "common/figures.hpp"
#include "common/training_command_line.hpp"
#include "common/training_files.hpp"
#include "notebook_models.hpp"
#include "typenet/typenet.hpp"

namespace tn = typenet;
using notebook::ConvAutoencoder;

// The largest --batch this program accepts; the training workspace is sized for it.
constexpr std::size_t batch_capacity = 256;
using Image = tn::Shape<28, 28, 1>;
// Keras's binary_crossentropy: the mean over pixels of the probabilities' crossentropy.
using Loss = tn::BinaryCrossentropy<>;

int main(int argc, char** argv) {
    const std::string program = "conv_autoencoder";
    const samples::TrainingFlags flags = samples::parse_training_command_line(
        argc, argv,
        {.program = program,
         .description = "Trains the Keras blog's deep convolutional autoencoder (Conv2D and MaxPooling2D down to "
                        "4x4x8, Conv2D and UpSampling2D back) on Fashion-MNIST with binary crossentropy.",
         .batch_capacity = batch_capacity,
         .out = "out/conv"});
    samples::print_summary_if_asked<ConvAutoencoder>(flags);

    const auto data = samples::load_data_or_exit(program, flags.data);
    const tn::Samples<Image> train{data.train_images.pixels}, test{data.test_images.pixels};
    fmt::print("Fashion-MNIST: {} training and {} test images from {}\n", train.count(), test.count(),
               flags.data.string());

    ConvAutoencoder model(flags.seed);
    tn::Trainer<ConvAutoencoder, tn::Adam, Loss, batch_capacity> trainer(
        model, tn::Adam{.learning_rate = static_cast<float>(flags.learning_rate)}, flags.threads);
    // No accuracy: as the blog compiles it, without metrics (its pixels are no classes).
    samples::TrainingFiles files(program, flags, trainer, "binary crossentropy, per pixel", false);
    const auto resumed = files.resume();
    samples::prepare_output_folder(program, flags.out);  // only once every input has been read
    tn::History history;
    samples::run_or_exit(program, [&] {
        tn::fit(trainer, train, train, test, test, files.fit_options(resumed, history));
        files.finish("trained_conv_autoencoder");
        const auto reconstructed = tn::predict(model, trainer.workspace(), test.values());
        samples::write_image_rows(flags.out / "reconstructions.png",
                                  "conv_autoencoder: test images and their reconstructions",
                                  {{"original", test.values()}, {"reconstructed", reconstructed}});
    });
    fmt::print("wrote history.csv, loss.svg, checkpoint.tnm, model.tnm and reconstructions.png into {}\n",
               flags.out.string());
    fmt::print("val_loss: {:.5f}\n", history.back().val_loss);
}
