#!/usr/bin/python3
"""PyTorch reference for the two autoencoders of TensorFlow's "Intro to
Autoencoders" notebook, trained with settings equivalent to Keras's, so that
typenet's C++ samples can be compared side by side (loss and speed).

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_autoencoders.py --model both --epochs 10 --json results.json
"""

import argparse
import gzip
import json
import math
import statistics
import struct
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

BATCH_SIZE = 32
LEARNING_RATE = 1e-3
ADAM_BETAS = (0.9, 0.999)
# Keras applies epsilon as m / (sqrt(v) + eps) after folding both bias
# corrections into the step size; PyTorch adds eps to sqrt(v_hat). The two
# differ by a factor sqrt(1 - beta2^t) on eps alone, which is negligible here.
ADAM_EPSILON = 1e-7
NOISE_FACTOR = 0.2
EVALUATION_BATCH_SIZE = 1000
INFERENCE_RUNS = 3
INFERENCE_IMAGES_PER_RUN = 2000


def read_idx_images(path):
    """Reads a gzipped IDX3 image file as float32 pixels in [0, 1], shape (n, 28, 28)."""
    with gzip.open(path, "rb") as file:
        magic, count, rows, columns = struct.unpack(">IIII", file.read(16))
        if magic != 2051:
            raise ValueError(f"{path}: magic number {magic}, expected 2051 (IDX3 unsigned bytes)")
        pixels = np.frombuffer(file.read(count * rows * columns), dtype=np.uint8)
    return pixels.reshape(count, rows, columns).astype(np.float32) / 255.0


def add_noise(images, rng):
    """The notebook's corruption: clip(x + 0.2 * N(0, 1), 0, 1), drawn once."""
    noise = rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(images + NOISE_FACTOR * noise, 0.0, 1.0)


def tensorflow_same_padding(size, kernel, stride):
    """(before, after) padding of TensorFlow's 'same' along one axis.

    TF pads so the output has ceil(size / stride) elements and puts the odd
    extra element after: at stride 2, kernel 3 on an even size that is (0, 1),
    which PyTorch's symmetric padding=1 cannot express.
    """
    output = math.ceil(size / stride)
    total = max((output - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow's 'same' padding, applied explicitly before an unpadded conv."""

    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding=0)

    def forward(self, x):
        top, bottom = tensorflow_same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
        left, right = tensorflow_same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
        return super().forward(F.pad(x, (left, right, top, bottom)))


class ConvTranspose2dSame(nn.ConvTranspose2d):
    """ConvTranspose2d with TensorFlow's 'same' padding: output size = input size * stride.

    TF's conv2d_transpose is the gradient, with respect to its input, of the
    forward conv2d that maps an image of size in*stride to size in with 'same'
    padding. That forward conv pads (before, after) = tensorflow_same_padding(
    in*stride, kernel, stride); the gradient of a padding is a crop, so the
    transposed output is the full unpadded transposed conv, of size
    (in-1)*stride + kernel, with `before` cropped from the start and `after`
    from the end. At kernel 3, stride 2: total = 1, before = 0, after = 1, so
    the LAST row and column of PyTorch's padding=0 output (2*in+1) are dropped.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding=0)

    def forward(self, x):
        full = super().forward(x)
        top, bottom = tensorflow_same_padding(x.shape[-2] * self.stride[0], self.kernel_size[0], self.stride[0])
        left, right = tensorflow_same_padding(x.shape[-1] * self.stride[1], self.kernel_size[1], self.stride[1])
        return full[..., top:full.shape[-2] - bottom, left:full.shape[-1] - right]


def initialize_like_keras(model):
    """Glorot-uniform weights and zero biases, Keras's defaults.

    Keras's limit is sqrt(6 / ((fan_in + fan_out))) with fan = channels * k * k
    for convolutions; PyTorch's xavier_uniform_ computes the same sum, including
    for ConvTranspose2d whose weight is laid out (in, out, k, k): the two fans
    swap roles but their sum, (in + out) * k * k, is unchanged.
    """
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def dense_autoencoder():
    """Flatten -> Dense(64, relu) -> Dense(784, sigmoid) -> Reshape(28, 28)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 64), nn.ReLU(),
        nn.Linear(64, 784), nn.Sigmoid(),
        nn.Unflatten(1, (28, 28)),
    )


def denoising_autoencoder():
    """The notebook's Denoise model on (1, 28, 28) images: 28 -> 14 -> 7 -> 14 -> 28."""
    return nn.Sequential(
        Conv2dSame(1, 16, 3, stride=2), nn.ReLU(),
        Conv2dSame(16, 8, 3, stride=2), nn.ReLU(),
        ConvTranspose2dSame(8, 8, 3, stride=2), nn.ReLU(),
        ConvTranspose2dSame(8, 16, 3, stride=2), nn.ReLU(),
        Conv2dSame(16, 1, 3, stride=1), nn.Sigmoid(),
    )


def train_one_epoch(model, optimizer, inputs, targets, rng):
    """One Keras-style epoch: reshuffle, batches of 32, last partial batch kept.

    Returns the loss Keras reports (the batch losses averaged with the batch
    sizes as weights) and the wall time of the epoch.
    """
    model.train()
    start = time.perf_counter()
    order = torch.from_numpy(rng.permutation(len(inputs)))
    weighted_loss = 0.0
    for batch in torch.split(order, BATCH_SIZE):
        loss = F.mse_loss(model(inputs[batch]), targets[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        weighted_loss += loss.item() * len(batch)
    seconds = time.perf_counter() - start
    return weighted_loss / len(inputs), seconds


@torch.no_grad()
def evaluate(model, inputs, targets):
    """Per-pixel mean squared error over the whole set."""
    model.eval()
    squared_error = 0.0
    for start in range(0, len(inputs), EVALUATION_BATCH_SIZE):
        stop = start + EVALUATION_BATCH_SIZE
        squared_error += F.mse_loss(model(inputs[start:stop]), targets[start:stop], reduction="sum").item()
    return squared_error / targets.numel()


@torch.no_grad()
def inference_microseconds(model, inputs):
    """Median over runs of the mean single-image (batch 1) latency, on one thread."""
    model.eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    images = [inputs[i:i + 1] for i in range(len(inputs))]
    for image in images[:100]:  # warm-up: first calls allocate and pick kernels
        model(image)
    per_run = []
    next_image = 0
    for _ in range(INFERENCE_RUNS):
        start = time.perf_counter()
        for _ in range(INFERENCE_IMAGES_PER_RUN):
            model(images[next_image])
            next_image = (next_image + 1) % len(images)
        per_run.append((time.perf_counter() - start) * 1e6 / INFERENCE_IMAGES_PER_RUN)
    torch.set_num_threads(threads)
    return statistics.median(per_run)


def denoising_data(x_train, x_test, seed):
    """The denoising task's images with a channel axis: noise drawn once from
    the seed, for the training set and then the test set; the targets clean.
    Returns (train_noisy, train, test_noisy, test)."""
    noise_rng = np.random.default_rng(seed)
    train_noisy = torch.from_numpy(add_noise(x_train, noise_rng)).unsqueeze(1)
    test_noisy = torch.from_numpy(add_noise(x_test, noise_rng)).unsqueeze(1)
    return train_noisy, torch.from_numpy(x_train).unsqueeze(1), test_noisy, torch.from_numpy(x_test).unsqueeze(1)


def run(name, build_model, train_inputs, train_targets, test_inputs, test_targets, epochs, seed):
    # Each model gets its own seeded generators, so its results do not depend
    # on whether the other model ran first.
    torch.manual_seed(seed)
    shuffle_rng = np.random.default_rng(seed)
    model = build_model()
    initialize_like_keras(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON)

    history = []
    for epoch in range(1, epochs + 1):
        loss, seconds = train_one_epoch(model, optimizer, train_inputs, train_targets, shuffle_rng)
        val_loss = evaluate(model, test_inputs, test_targets)
        history.append({"epoch": epoch, "loss": loss, "val_loss": val_loss, "seconds": seconds})
        print(f"{name} epoch {epoch}/{epochs}: loss {loss:.5f} val_loss {val_loss:.5f} seconds {seconds:.2f}", flush=True)

    median_seconds = statistics.median(entry["seconds"] for entry in history)
    microseconds = inference_microseconds(model, test_inputs)
    print(f"{name}: median epoch seconds {median_seconds:.2f}, final val_loss {history[-1]['val_loss']:.5f}, "
          f"inference {microseconds:.1f} us/image (batch 1, 1 thread)", flush=True)
    return {
        "epochs": history,
        "median_epoch_seconds": median_seconds,
        "final_val_loss": history[-1]["val_loss"],
        "inference_us_per_image": microseconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("dense", "denoise", "both"), default="both")
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

    results = {
        "torch_version": torch.__version__,
        "threads": arguments.threads,
        "seed": arguments.seed,
        "batch_size": BATCH_SIZE,
        "models": {},
    }
    if arguments.model in ("dense", "both"):
        train, test = torch.from_numpy(x_train), torch.from_numpy(x_test)
        results["models"]["dense"] = run("dense", dense_autoencoder, train, train, test, test,
                                         arguments.epochs, arguments.seed)
    if arguments.model in ("denoise", "both"):
        train_noisy, train, test_noisy, test = denoising_data(x_train, x_test, arguments.seed)
        results["models"]["denoise"] = run("denoise", denoising_autoencoder, train_noisy, train, test_noisy, test,
                                           arguments.epochs, arguments.seed)

    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
