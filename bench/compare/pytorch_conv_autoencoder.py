#!/usr/bin/python3
"""PyTorch reference for the deep convolutional autoencoder of the Keras blog
post "Building Autoencoders in Keras", on Fashion-MNIST images scaled to
[0, 1], trained with settings equivalent to Keras's:

    encoder: Conv2D(16, 3, same, relu) -> MaxPooling2D(2, same)
          -> Conv2D(8, 3, same, relu)  -> MaxPooling2D(2, same)
          -> Conv2D(8, 3, same, relu)  -> MaxPooling2D(2, same)       (4x4x8)
    decoder: Conv2D(8, 3, same, relu)  -> UpSampling2D(2)
          -> Conv2D(8, 3, same, relu)  -> UpSampling2D(2)
          -> Conv2D(16, 3, valid, relu) -> UpSampling2D(2)
          -> Conv2D(1, 3, same, sigmoid)
    sizes 28 -> 14 -> 7 -> 4 -> 8 -> 16 -> 14 -> 28; 4385 parameters.

Binary crossentropy, the mean over pixels, computed from the last
convolution's logits (as tf.keras does for a sigmoid output); Adam with
Keras's defaults; batches of 32, reshuffled every epoch, the last partial
batch kept; trained on the 60000 training images as input and target,
validated on the 10000 test images after every epoch.

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_conv_autoencoder.py --epochs 5 --seed 0 --json results.json
"""

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pytorch_autoencoders import (ADAM_BETAS, ADAM_EPSILON, BATCH_SIZE, EVALUATION_BATCH_SIZE, LEARNING_RATE,
                                  initialize_like_keras, read_idx_images)


def max_pool_same():
    """MaxPooling2D(2, padding='same'), TensorFlow's rule.

    TF's output has ceil(size / 2) elements; on an odd size the one missing
    cell is padded after (bottom/right) and padded cells never win. PyTorch's
    ceil_mode=True keeps a last window that starts inside the input and takes
    the max over its in-bounds cells only: 7 -> 4 with the last window holding
    row (column) 6 alone, the same as TF. On even sizes (28, 14) both are the
    plain 2x2 pooling.
    """
    return nn.MaxPool2d(2, ceil_mode=True)


def conv_autoencoder():
    """The blog's model on (1, 28, 28) images, ending in logits (no sigmoid):
    the loss applies the sigmoid itself, and reconstruct() adds it for images."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), max_pool_same(),    # 28 -> 14
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), max_pool_same(),    # 14 -> 7
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), max_pool_same(),     # 7 -> 4
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),   # 4 -> 8
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),   # 8 -> 16
        nn.Conv2d(8, 16, 3, padding=0), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),  # 16 -> 14 -> 28
        nn.Conv2d(16, 1, 3, padding=1),                                # 28, logits
    )


@torch.no_grad()
def reconstruct(model, images):
    """The Keras model's output: the sigmoid of the logits."""
    model.eval()
    return torch.sigmoid(model(images))


def parameter_count(model):
    return sum(parameter.numel() for parameter in model.parameters())


@torch.no_grad()
def forward_shapes_and_flops(model):
    """The (C, H, W) after every convolution and pooling/upsampling of one
    28x28 image's forward pass, and the FLOPs of its convolutions: 2 per
    multiply-add, out_channels * H_out * W_out * in_channels * kh * kw
    multiply-adds each (bias adds, ReLU, pooling and upsampling not counted)."""
    shapes = []
    flops = 0
    x = torch.zeros(1, 1, 28, 28)
    for module in model:
        x = module(x)
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            flops += 2 * x[0].numel() * (module.in_channels // module.groups) * kh * kw
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.Upsample)):
            shapes.append(tuple(x.shape[1:]))
    return shapes, flops


def train_one_epoch(model, optimizer, images, rng):
    """One Keras-style epoch, as pytorch_autoencoders.train_one_epoch, with the
    images as their own targets and Keras's binary crossentropy from logits.

    Returns the loss Keras reports (the batch losses weighted by their sizes)
    and the wall time of the epoch.
    """
    model.train()
    start = time.perf_counter()
    order = torch.from_numpy(rng.permutation(len(images)))
    weighted_loss = 0.0
    for batch in torch.split(order, BATCH_SIZE):
        inputs = images[batch]
        loss = F.binary_cross_entropy_with_logits(model(inputs), inputs)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        weighted_loss += loss.item() * len(batch)
    seconds = time.perf_counter() - start
    return weighted_loss / len(images), seconds


@torch.no_grad()
def evaluate(model, images):
    """Per-pixel mean binary crossentropy over the whole set."""
    model.eval()
    loss_sum = 0.0
    for start in range(0, len(images), EVALUATION_BATCH_SIZE):
        inputs = images[start:start + EVALUATION_BATCH_SIZE]
        loss_sum += F.binary_cross_entropy_with_logits(model(inputs), inputs, reduction="sum").item()
    return loss_sum / images.numel()


def machine_info():
    """lscpu's model name, CPU family and model, the CPU count and the load average."""
    info = {"cpus": os.cpu_count(), "load_average_at_start": list(os.getloadavg())}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return info
    for line in lscpu.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("Model name", "CPU family", "Model", "Hypervisor vendor"):
            info[key.strip().lower().replace(" ", "_")] = value.strip()
    return info


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="training threads (torch.set_num_threads)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="train and validate on only the first LIMIT images of each set "
                                                   "(a quick check; the results are not comparable)")
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="folder holding train-images-idx3-ubyte.gz and t10k-images-idx3-ubyte.gz")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    machine = machine_info()
    train_images = torch.from_numpy(read_idx_images(arguments.data / "train-images-idx3-ubyte.gz")).unsqueeze(1)
    test_images = torch.from_numpy(read_idx_images(arguments.data / "t10k-images-idx3-ubyte.gz")).unsqueeze(1)
    if arguments.limit:
        train_images, test_images = train_images[:arguments.limit], test_images[:arguments.limit]

    torch.manual_seed(arguments.seed)
    shuffle_rng = np.random.default_rng(arguments.seed)
    model = conv_autoencoder()
    initialize_like_keras(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON)

    parameters = parameter_count(model)
    shapes, flops = forward_shapes_and_flops(model)
    print(f"conv: {parameters} parameters, {flops} FLOPs per image forward (convolutions, 2 per multiply-add); "
          f"shapes {' -> '.join('x'.join(map(str, shape)) for shape in shapes)}", flush=True)
    print(f"machine: {machine}, torch {torch.__version__}, {arguments.threads} threads, "
          f"{len(train_images)} training and {len(test_images)} test images", flush=True)

    history = []
    for epoch in range(1, arguments.epochs + 1):
        loss, seconds = train_one_epoch(model, optimizer, train_images, shuffle_rng)
        val_loss = evaluate(model, test_images)
        history.append({"epoch": epoch, "loss": loss, "val_loss": val_loss, "seconds": seconds})
        print(f"conv epoch {epoch}/{arguments.epochs}: loss {loss:.5f} val_loss {val_loss:.5f} "
              f"seconds {seconds:.2f}", flush=True)
    machine["load_average_at_end"] = list(os.getloadavg())

    median_seconds = statistics.median(entry["seconds"] for entry in history)
    print(f"conv: median epoch seconds {median_seconds:.2f}", flush=True)
    print(f"val_loss: {history[-1]['val_loss']:.5f}", flush=True)
    if arguments.json:
        results = {
            "torch_version": torch.__version__,
            "threads": arguments.threads,
            "seed": arguments.seed,
            "batch_size": BATCH_SIZE,
            "train_images": len(train_images),
            "test_images": len(test_images),
            "machine": machine,
            "models": {"conv": {"epochs": history, "median_epoch_seconds": median_seconds,
                                "final_val_loss": history[-1]["val_loss"], "parameters": parameters,
                                "forward_flops_per_image": flops,
                                "shapes": [list(shape) for shape in shapes]}},
        }
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
