#!/usr/bin/python3
"""PyTorch reference for a small U-Net denoiser on Fashion-MNIST, trained with
exactly the recipe of the notebook's denoiser in pytorch_autoencoders.py
(--model denoise), whose functions it imports: noise with factor 0.2 drawn
once from the seed (training set, then test set), TensorFlow 'same' padding,
Glorot-uniform weights and zero biases, Adam with Keras's defaults, MSE,
batches of 32 reshuffled every epoch, val_loss on the noisy test images
against the clean ones. The model, in Keras's functional notation:

    a = Conv2D(16, 3, same, relu)(input)                          28x28x16
    b = Conv2D(32, 3, strides=2, same, relu)(a)                   14x14x32
    c = Conv2D(32, 3, strides=2, same, relu)(b)                   7x7x32
    u = Conv2DTranspose(32, 3, strides=2, same, relu)(c)          14x14x32
    u = Conv2DTranspose(16, 3, strides=2, same, relu)(Concatenate()([u, b]))  28x28x16
    output = Conv2D(1, 3, same, sigmoid)(Concatenate()([u, a]))   28x28x1

The six convolutions are `layers.0` .. `layers.5` in that order, so the
state_dict keys are layers.{0..5}.weight and layers.{0..5}.bias; activations
and concatenations (channels, first argument first) live in forward().

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_unet_denoiser.py --epochs 10 --threads 1 --seed 0 --json unet.json
"""

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pytorch_autoencoders import (BATCH_SIZE, Conv2dSame, ConvTranspose2dSame, denoising_data,  # noqa: E402
                                  read_idx_images, run)


class UNetDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([
            Conv2dSame(1, 16, 3, stride=1),             # a
            Conv2dSame(16, 32, 3, stride=2),            # b
            Conv2dSame(32, 32, 3, stride=2),            # c
            ConvTranspose2dSame(32, 32, 3, stride=2),   # u, from c
            ConvTranspose2dSame(64, 16, 3, stride=2),   # u, from [u, b]
            Conv2dSame(32, 1, 3, stride=1),             # output, from [u, a]
        ])

    def forward(self, x):
        a = torch.relu(self.layers[0](x))
        b = torch.relu(self.layers[1](a))
        c = torch.relu(self.layers[2](b))
        u = torch.relu(self.layers[3](c))
        u = torch.relu(self.layers[4](torch.cat([u, b], dim=1)))
        return torch.sigmoid(self.layers[5](torch.cat([u, a], dim=1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="training threads (inference always uses 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="folder holding train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    x_train = read_idx_images(arguments.data / "train-images-idx3-ubyte.gz")
    x_test = read_idx_images(arguments.data / "t10k-images-idx3-ubyte.gz")
    train_noisy, train, test_noisy, test = denoising_data(x_train, x_test, arguments.seed)

    result = run("unet", UNetDenoiser, train_noisy, train, test_noisy, test, arguments.epochs, arguments.seed)
    print(f"median epoch seconds: {result['median_epoch_seconds']:.2f}")
    print(f"val_loss: {result['final_val_loss']:.5f}")

    if arguments.json:
        results = {
            "torch_version": torch.__version__,
            "threads": arguments.threads,
            "seed": arguments.seed,
            "batch_size": BATCH_SIZE,
            "models": {"unet": result},
        }
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
