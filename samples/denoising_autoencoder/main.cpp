// The notebook's second model: a convolutional autoencoder that learns to
// remove Gaussian noise, trained as the TensorFlow tutorial trains it
// (noisy images in, clean images as targets, validated on the noisy test set).
#include "common/denoising_task.hpp"
#include "notebook_models.hpp"

namespace tn = typenet;
using notebook::DenoisingAutoencoder;

int main(int argc, char** argv) {
    return samples::run_denoising_task<DenoisingAutoencoder>(
        argc, argv,
        {.program = "denoising_autoencoder",
         .description = "Trains the notebook's denoising convolutional autoencoder on Fashion-MNIST.",
         .out = "out/denoise",
         .trained_name = "trained_denoising_autoencoder"},
        // As the notebook does: the encoder's codes, then the decoder on them.
        [](const DenoisingAutoencoder& model, std::span<const float> noisy) {
            tn::Workspace<DenoisingAutoencoder, 256> workspace;
            const auto codes = tn::predict(model.part<notebook::DenoiseEncoder>(), workspace, noisy);
            return tn::predict(model.part<notebook::DenoiseDecoder>(), workspace, codes);
        });
}
