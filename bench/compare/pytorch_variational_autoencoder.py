#!/usr/bin/python3
"""PyTorch reference for typenet's variational_autoencoder sample: TensorFlow's
"Convolutional Variational Autoencoder" tutorial (tutorials/generative/cvae),
on Fashion-MNIST instead of MNIST, trained with settings equivalent to Keras's:

    images / 255, binarized as the tutorial does: 1 where > 0.5, else 0;
    encoder: Conv2D(32, 3, strides=2, valid, relu) -> Conv2D(64, 3, strides=2,
             valid, relu) -> Flatten -> Dense(2 * latent), latent = 2, split
             as tf.split(x, 2, axis=1) into mean (first half) and log-variance;
    z = mean + exp(0.5 * logvar) * eps, eps ~ N(0, 1), one sample per image;
    decoder: Dense(7 * 7 * 32, relu) -> Reshape(7, 7, 32)
             -> Conv2DTranspose(64, 3, strides=2, same, relu)
             -> Conv2DTranspose(32, 3, strides=2, same, relu)
             -> Conv2DTranspose(1, 3, strides=1, same): logits;
    loss per image: -(log p(x|z) + log p(z) - log q(z|x)), with log p(x|z)
    minus the summed sigmoid crossentropy of the 784 pixels, the batch's loss
    the mean over its images; Glorot-uniform weights and zero biases; Adam
    with learning rate 1e-4 and Keras's betas and epsilon; batches of 32,
    reshuffled every epoch, the last partial batch kept; after every epoch the
    test ELBO, minus the mean per-image loss over the 10,000 test images, one
    sample each from a noise stream that is the same at every evaluation.

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_variational_autoencoder.py --epochs 10 --threads 1 --seed 0 --json vae.json
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pytorch_autoencoders import (ADAM_BETAS, ADAM_EPSILON, BATCH_SIZE, EVALUATION_BATCH_SIZE,  # noqa: E402
                                  ConvTranspose2dSame, initialize_like_keras, read_idx_images,
                                  tensorflow_same_padding)

LATENT_DIMENSION = 2
LEARNING_RATE = 1e-4  # the tutorial's tf.keras.optimizers.Adam(1e-4)
LOG_2PI = math.log(2.0 * math.pi)
# The three random streams of a run, all fixed by --seed: the weights come from
# torch.manual_seed(seed) as in the other scripts; the training and the test
# reparameterization noise from their own generators, seeded at these offsets
# so that no stream replays another's numbers (a generator seeded with the
# same number as torch.manual_seed would draw eps from the very uniforms that
# made the first layer's weights).
TRAINING_NOISE_SEED_OFFSET = 1000
TEST_NOISE_SEED_OFFSET = 2000


def binarize(images):
    """The tutorial's preprocessing: np.where(images / 255 > .5, 1.0, 0.0), with a channel axis."""
    return torch.from_numpy(np.where(images > 0.5, 1.0, 0.0).astype(np.float32)).unsqueeze(1)


class ConvTranspose2dSameByConv2d(ConvTranspose2dSame):
    """ConvTranspose2dSame computed as the convolution it is: the input with
    stride - 1 zeros between its pixels and kernel - 1 around them, convolved
    with the kernel flipped and its two channel axes swapped, then cropped as
    TensorFlow's 'same' crops. The same function and parameters (float32
    rounding aside: 3e-5 on the decoder's largest layer); PyTorch 1.13's own
    transposed convolution has no fast CPU path (slow_conv_transpose2d) and
    takes 3.7 times as long forward and backward, most of this model's step.
    """

    def forward(self, x):
        n, channels, height, width = x.shape
        stride, kernel = self.stride[0], self.kernel_size[0]
        stuffed = x.new_zeros(n, channels, (height - 1) * stride + 1, (width - 1) * stride + 1)
        stuffed[..., ::stride, ::stride] = x
        stuffed = F.pad(stuffed, (kernel - 1,) * 4)
        full = F.conv2d(stuffed, self.weight.flip(2, 3).transpose(0, 1), self.bias)
        top, bottom = tensorflow_same_padding(height * stride, kernel, stride)
        left, right = tensorflow_same_padding(width * stride, kernel, stride)
        return full[..., top:full.shape[-2] - bottom, left:full.shape[-1] - right]


TRANSPOSED_CONVOLUTIONS = {"conv2d": ConvTranspose2dSameByConv2d, "native": ConvTranspose2dSame}


class VariationalAutoencoder(nn.Module):
    """The tutorial's CVAE on (1, 28, 28) images: 28 -> 13 -> 6 -> latent -> 7 -> 14 -> 28."""

    def __init__(self, latent=LATENT_DIMENSION, transposed=ConvTranspose2dSameByConv2d):
        super().__init__()
        self.latent = latent
        # Keras's Flatten orders a (6, 6, 64) channels-last map as (h, w, c);
        # nn.Flatten on (64, 6, 6) as (c, h, w). The two differ only by a fixed
        # permutation of the Dense layer's 2304 inputs, which the random
        # Glorot initialization cannot tell apart, so the recipe is the same.
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2), nn.ReLU(),    # 'valid': 28 -> 13
            nn.Conv2d(32, 64, 3, stride=2), nn.ReLU(),   # 'valid': 13 -> 6
            nn.Flatten(),
            nn.Linear(6 * 6 * 64, 2 * latent),
        )
        # Likewise Keras's Reshape(7, 7, 32) reads the 1568 dense units as
        # (h, w, c) and nn.Unflatten as (c, h, w): a permutation of the units.
        self.decoder = nn.Sequential(
            nn.Linear(latent, 7 * 7 * 32), nn.ReLU(),
            nn.Unflatten(1, (32, 7, 7)),
            transposed(32, 64, 3, stride=2), nn.ReLU(),   # 7 -> 14
            transposed(64, 32, 3, stride=2), nn.ReLU(),   # 14 -> 28
            transposed(32, 1, 3, stride=1),               # 28 -> 28, crops (1, 1): padding 1
        )

    def encode(self, x):
        """(mean, logvar) as tf.split(encoder(x), num_or_size_splits=2, axis=1)."""
        mean, logvar = torch.split(self.encoder(x), self.latent, dim=1)
        return mean, logvar

    def decode(self, z):
        """Logits of the pixels, (n, 1, 28, 28)."""
        return self.decoder(z)


def log_normal_pdf(sample, mean, logvar):
    """The tutorial's log_normal_pdf: log N(sample; mean, exp(logvar)), summed over the latent axis."""
    return torch.sum(-0.5 * ((sample - mean) ** 2 * torch.exp(-logvar) + logvar + LOG_2PI), dim=1)


def per_image_terms(model, x, generator):
    """The two parts of the tutorial's compute_loss, per image, for one sample of z each.

    Returns (reconstruction, latent): reconstruction = -log p(x|z), the summed
    pixel crossentropies; latent = log q(z|x) - log p(z), the one-sample
    estimate of the KL divergence. The per-image loss is their sum.
    """
    mean, logvar = model.encode(x)
    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    z = mean + torch.exp(0.5 * logvar) * eps
    logits = model.decode(z)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=(1, 2, 3))
    zeros = torch.zeros_like(z)
    latent = log_normal_pdf(z, mean, logvar) - log_normal_pdf(z, zeros, zeros)
    return reconstruction, latent


def train_one_epoch(model, optimizer, images, shuffle_rng, noise):
    """One epoch: reshuffle, batches of 32, the last partial batch kept.

    Returns (loss, reconstruction, kl, seconds): the batch means weighted by
    the batch sizes, i.e. means over the images, and the epoch's wall time.
    """
    model.train()
    start = time.perf_counter()
    order = torch.from_numpy(shuffle_rng.permutation(len(images)))
    loss_sum = reconstruction_sum = latent_sum = 0.0
    for batch in torch.split(order, BATCH_SIZE):
        reconstruction, latent = per_image_terms(model, images[batch], noise)
        loss = torch.mean(reconstruction + latent)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(batch)
        reconstruction_sum += reconstruction.sum().item()
        latent_sum += latent.sum().item()
    seconds = time.perf_counter() - start
    count = len(images)
    return loss_sum / count, reconstruction_sum / count, latent_sum / count, seconds


@torch.no_grad()
def test_elbo(model, images, seed):
    """Minus the mean per-image loss over the set, one sample of z per image,
    from a noise stream re-created here, so every evaluation draws the same eps."""
    model.eval()
    noise = torch.Generator().manual_seed(seed + TEST_NOISE_SEED_OFFSET)
    loss_sum = 0.0
    for start in range(0, len(images), EVALUATION_BATCH_SIZE):
        reconstruction, latent = per_image_terms(model, images[start:start + EVALUATION_BATCH_SIZE], noise)
        loss_sum += torch.sum(reconstruction + latent).item()
    return -loss_sum / len(images)


def run(train_images, test_images, epochs, seed, transposed):
    torch.manual_seed(seed)
    shuffle_rng = np.random.default_rng(seed)
    training_noise = torch.Generator().manual_seed(seed + TRAINING_NOISE_SEED_OFFSET)
    model = VariationalAutoencoder(transposed=transposed)
    initialize_like_keras(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON)

    history = []
    for epoch in range(1, epochs + 1):
        loss, reconstruction, kl, seconds = train_one_epoch(model, optimizer, train_images, shuffle_rng,
                                                            training_noise)
        elbo = test_elbo(model, test_images, seed)
        history.append({"epoch": epoch, "loss": loss, "reconstruction": reconstruction, "kl": kl,
                        "test_elbo": elbo, "seconds": seconds})
        print(f"variational_autoencoder epoch {epoch}/{epochs}: loss {loss:.4f} reconstruction {reconstruction:.4f} "
              f"kl {kl:.4f} test_elbo {elbo:.4f} seconds {seconds:.2f}", flush=True)

    median_seconds = statistics.median(entry["seconds"] for entry in history)
    print(f"variational_autoencoder: median epoch seconds {median_seconds:.2f}, "
          f"test_elbo: {history[-1]['test_elbo']:.2f}", flush=True)
    return {"epochs": history, "median_epoch_seconds": median_seconds, "final_test_elbo": history[-1]["test_elbo"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="training threads (torch.set_num_threads)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="folder holding train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz")
    parser.add_argument("--limit", type=int, help="train on the first N training images only (default: all)")
    parser.add_argument("--transposed", choices=sorted(TRANSPOSED_CONVOLUTIONS), default="conv2d",
                        help="how the transposed convolutions run: as the convolution they are (default), or "
                             "PyTorch's own ConvTranspose2d (slow_conv_transpose2d on the CPU)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    train_images = binarize(read_idx_images(arguments.data / "train-images-idx3-ubyte.gz"))
    test_images = binarize(read_idx_images(arguments.data / "t10k-images-idx3-ubyte.gz"))
    if arguments.limit is not None:
        train_images = train_images[:arguments.limit]

    result = run(train_images, test_images, arguments.epochs, arguments.seed,
                 TRANSPOSED_CONVOLUTIONS[arguments.transposed])
    if arguments.json:
        results = {
            "torch_version": torch.__version__,
            "threads": arguments.threads,
            "transposed": arguments.transposed,
            "seed": arguments.seed,
            "batch_size": BATCH_SIZE,
            "models": {"vae": result},
        }
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
