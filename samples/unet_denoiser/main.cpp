// The notebook's denoising task with skip connections: a U-Net
// (notebook_models.hpp) whose decoder also reads the encoder's activations,
// trained on the same noisy images as denoising_autoencoder.
#include "common/denoising_task.hpp"
#include "notebook_models.hpp"

namespace tn = typenet;
using notebook::UNetDenoiser;

int main(int argc, char** argv) {
    return samples::run_denoising_task<UNetDenoiser>(
        argc, argv,
        {.program = "unet_denoiser",
         .description = "Trains a U-Net denoiser (the notebook's denoising task, with skip connections) on "
                        "Fashion-MNIST.",
         .out = "out/unet",
         .trained_name = "trained_unet_denoiser"},
        [](const UNetDenoiser& model, std::span<const float> noisy) {
            tn::InferenceWorkspace<UNetDenoiser, 256> workspace;
            return tn::predict(model, workspace, noisy);
        });
}
