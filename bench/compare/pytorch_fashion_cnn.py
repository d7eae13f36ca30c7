#!/usr/bin/python3
"""PyTorch reference for typenet's fashion_cnn sample: a small convolutional
classifier with batch normalization and dropout, trained with settings
equivalent to Keras's:

    Conv2D(32, 3, same, no bias) -> BatchNormalization -> ReLU -> MaxPooling2D(2)
    -> Conv2D(64, 3, same, no bias) -> BatchNormalization -> ReLU -> MaxPooling2D(2)
    -> Flatten -> Dropout(0.25) -> Dense(128, relu) -> Dropout(0.5) -> Dense(10);
    BatchNorm2d with Keras's values (momentum 0.01 in PyTorch's sense, eps 1e-3);
    Adam with Keras's defaults; SparseCategoricalCrossentropy(from_logits=True);
    batches of 32, reshuffled every epoch, the last partial batch kept;
    validated on the test set after every epoch.

Run with Debian's interpreter (python3-torch is installed for it only):

    /usr/bin/python3 bench/compare/pytorch_fashion_cnn.py --epochs 5 --seed 0 --json results.json
"""

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
import torch
from torch import nn

from pytorch_autoencoders import (ADAM_BETAS, ADAM_EPSILON, BATCH_SIZE, LEARNING_RATE, initialize_like_keras,
                                  read_idx_images)
from pytorch_classifier import CLASS_COUNT, evaluate, read_idx_labels, train_one_epoch

# Keras's BatchNormalization: moving = 0.99 * moving + 0.01 * batch, epsilon 1e-3.
BATCH_NORM = {"eps": 1e-3, "momentum": 0.01}


def fashion_cnn():
    """The sample's model on (1, 28, 28) images, logits out."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32, **BATCH_NORM), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64, **BATCH_NORM), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(7 * 7 * 64, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, CLASS_COUNT),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="training threads (torch.set_num_threads)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="folder holding the four gzipped Fashion-MNIST IDX files")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.threads)
    data = arguments.data
    train_images = torch.from_numpy(read_idx_images(data / "train-images-idx3-ubyte.gz")).unsqueeze(1)
    train_labels = torch.from_numpy(read_idx_labels(data / "train-labels-idx1-ubyte.gz"))
    test_images = torch.from_numpy(read_idx_images(data / "t10k-images-idx3-ubyte.gz")).unsqueeze(1)
    test_labels = torch.from_numpy(read_idx_labels(data / "t10k-labels-idx1-ubyte.gz"))

    torch.manual_seed(arguments.seed)
    shuffle_rng = np.random.default_rng(arguments.seed)
    model = fashion_cnn()
    initialize_like_keras(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON)

    history = []
    for epoch in range(1, arguments.epochs + 1):
        loss, accuracy, seconds = train_one_epoch(model, optimizer, train_images, train_labels, shuffle_rng)
        val_loss, val_accuracy = evaluate(model, test_images, test_labels)
        history.append({"epoch": epoch, "loss": loss, "accuracy": accuracy, "val_loss": val_loss,
                        "val_accuracy": val_accuracy, "seconds": seconds})
        print(f"fashion_cnn epoch {epoch}/{arguments.epochs}: loss {loss:.5f} accuracy {accuracy:.4f} "
              f"val_loss {val_loss:.5f} val_accuracy {val_accuracy:.4f} seconds {seconds:.2f}", flush=True)

    median_seconds = statistics.median(entry["seconds"] for entry in history)
    print(f"fashion_cnn: median epoch seconds {median_seconds:.2f}, "
          f"test accuracy {history[-1]['val_accuracy']:.4f}", flush=True)
    if arguments.json:
        results = {
            "torch_version": torch.__version__,
            "threads": arguments.threads,
            "seed": arguments.seed,
            "batch_size": BATCH_SIZE,
            "models": {"cnn": {"epochs": history, "median_epoch_seconds": median_seconds,
                               "final_val_accuracy": history[-1]["val_accuracy"]}},
        }
        arguments.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
