#!/usr/bin/python3
"""PyTorch reference for TensorFlow's "Basic classification" tutorial on
Fashion-MNIST, trained with settings equivalent to Keras's, beside typenet's
fashion_classifier sample (test accuracy and speed):

    Flatten -> Dense(128, relu) -> Dense(10); Adam with Keras's defaults;
    SparseCategoricalCrossentropy(from_logits=True); batches of 32,
    reshuffled every epoch, the last partial batch kept; validated on the
    test set after every epoch.

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_classifier.py --epochs 10 --seed 0 --json results.json
"""

import argparse
import gzip
import json
import statistics
import struct
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pytorch_autoencoders import (ADAM_BETAS, ADAM_EPSILON, BATCH_SIZE, EVALUATION_BATCH_SIZE, LEARNING_RATE,
                                  initialize_like_keras, read_idx_images)

CLASS_COUNT = 10


def read_idx_labels(path):
    """Reads a gzipped IDX1 label file as int64 class indices, shape (n,)."""
    with gzip.open(path, "rb") as file:
        magic, count = struct.unpack(">II", file.read(8))
        if magic != 2049:
            raise ValueError(f"{path}: magic number {magic}, expected 2049 (IDX1 unsigned bytes)")
        labels = np.frombuffer(file.read(count), dtype=np.uint8)
    return labels.astype(np.int64)


def classifier():
    """The tutorial's model: Flatten -> Dense(128, relu) -> Dense(10), logits out."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, CLASS_COUNT))


def train_one_epoch(model, optimizer, images, labels, rng):
    """One Keras-style epoch, as pytorch_autoencoders.train_one_epoch, with
    Keras's running accuracy: each batch judged by the logits of its forward
    pass, before its update.

    Returns the loss (batch losses weighted by their sizes), the accuracy and
    the wall time of the epoch.
    """
    model.train()
    start = time.perf_counter()
    order = torch.from_numpy(rng.permutation(len(images)))
    weighted_loss = 0.0
    correct = 0
    for batch in torch.split(order, BATCH_SIZE):
        logits = model(images[batch])
        loss = F.cross_entropy(logits, labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        weighted_loss += loss.item() * len(batch)
        correct += (logits.argmax(dim=1) == labels[batch]).sum().item()
    seconds = time.perf_counter() - start
    return weighted_loss / len(images), correct / len(images), seconds


@torch.no_grad()
def evaluate(model, images, labels):
    """The mean crossentropy over the whole set, and the accuracy."""
    model.eval()
    loss_sum = 0.0
    correct = 0
    for start in range(0, len(images), EVALUATION_BATCH_SIZE):
        stop = start + EVALUATION_BATCH_SIZE
        logits = model(images[start:stop])
        loss_sum += F.cross_entropy(logits, labels[start:stop], reduction="sum").item()
        correct += (logits.argmax(dim=1) == labels[start:stop]).sum().item()
    return loss_sum / len(images), correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="training threads (torch.set_num_threads)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="folder holding the four gzipped Fashion-MNIST IDX files")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    data = arguments.data
    train_images = torch.from_numpy(read_idx_images(data / "train-images-idx3-ubyte.gz"))
    train_labels = torch.from_numpy(read_idx_labels(data / "train-labels-idx1-ubyte.gz"))
    test_images = torch.from_numpy(read_idx_images(data / "t10k-images-idx3-ubyte.gz"))
    test_labels = torch.from_numpy(read_idx_labels(data / "t10k-labels-idx1-ubyte.gz"))

    torch.manual_seed(arguments.seed)
    shuffle_rng = np.random.default_rng(arguments.seed)
    model = classifier()
    initialize_like_keras(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON)

    history = []
    for epoch in range(1, arguments.epochs + 1):
        loss, accuracy, seconds = train_one_epoch(model, optimizer, train_images, train_labels, shuffle_rng)
        val_loss, val_accuracy = evaluate(model, test_images, test_labels)
        history.append({"epoch": epoch, "loss": loss, "accuracy": accuracy, "val_loss": val_loss,
                        "val_accuracy": val_accuracy, "seconds": seconds})
        print(f"classifier epoch {epoch}/{arguments.epochs}: loss {loss:.5f} accuracy {accuracy:.4f} "
              f"val_loss {val_loss:.5f} val_accuracy {val_accuracy:.4f} seconds {seconds:.2f}", flush=True)

    median_seconds = statistics.median(entry["seconds"] for entry in history)
    print(f"classifier: median epoch seconds {median_seconds:.2f}, "
          f"test accuracy {history[-1]['val_accuracy']:.4f}", flush=True)
    if arguments.json:
        results = {
            "torch_version": torch.__version__,
            "threads": arguments.threads,
            "seed": arguments.seed,
            "batch_size": BATCH_SIZE,
            "models": {"classifier": {"epochs": history, "median_epoch_seconds": median_seconds,
                                      "final_val_accuracy": history[-1]["val_accuracy"]}},
        }
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
