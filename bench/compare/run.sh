#!/usr/bin/env bash
# Side by side: trains the notebook's two models, the classification
# tutorial's classifier, the Keras blog's deep convolutional autoencoder and
# the convolutional classifier with batch normalization and dropout (PyTorch
# takes minutes an epoch on either), a small U-Net denoiser (the
# notebook denoiser's recipe, with skip connections by concatenation) and
# TensorFlow's convolutional variational autoencoder (PyTorch 1.13 takes about
# seven minutes an epoch on one thread: its transposed convolutions have no fast path) with
# typenet's samples and with the Keras-equivalent PyTorch scripts on this
# machine, then prints the median epoch time of each, their ratio and the
# final val_loss (the classifiers: test accuracy; the VAE: test ELBO) of each.
#   bash bench/compare/run.sh [epochs] [threads] [all|notebook]     (defaults: 10, 2, all)
# "notebook" trains the notebook's two models only (about six minutes, most of them PyTorch's).
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-10}
threads=${2:-2}
scope=${3:-all}
[[ $scope == all || $scope == notebook ]] || { echo "run.sh: the third argument is all or notebook, not $scope" >&2; exit 2; }
bash tools/install-dependencies.sh
dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" || {
  run_as_root=(); [ "$(id -u)" -eq 0 ] || run_as_root=(sudo)
  DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -q python3-torch
}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
if [[ $scope == notebook ]]; then
  cmake --build build -j2 --target dense_autoencoder denoising_autoencoder
else
  cmake --build build -j2 --target dense_autoencoder denoising_autoencoder fashion_classifier conv_autoencoder \
    fashion_cnn unet_denoiser variational_autoencoder
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./build/samples/dense_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/dense"
./build/samples/denoising_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/denoise"
/usr/bin/python3 bench/compare/pytorch_autoencoders.py --model both --epochs "$epochs" --threads "$threads" \
  --json "$out/pytorch.json"
if [[ $scope == all ]]; then
  ./build/samples/fashion_classifier --epochs "$epochs" --threads "$threads" --out "$out/classifier"
  ./build/samples/conv_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/conv"
  ./build/samples/fashion_cnn --epochs "$epochs" --threads "$threads" --out "$out/cnn"
  ./build/samples/unet_denoiser --epochs "$epochs" --threads "$threads" --out "$out/unet"
  ./build/samples/variational_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/vae"
  /usr/bin/python3 bench/compare/pytorch_classifier.py --epochs "$epochs" --threads "$threads" \
    --json "$out/pytorch-classifier.json"
  /usr/bin/python3 bench/compare/pytorch_conv_autoencoder.py --epochs "$epochs" --threads "$threads" \
    --json "$out/pytorch-conv.json"
  /usr/bin/python3 bench/compare/pytorch_fashion_cnn.py --epochs "$epochs" --threads "$threads" \
    --json "$out/pytorch-cnn.json"
  /usr/bin/python3 bench/compare/pytorch_unet_denoiser.py --epochs "$epochs" --threads "$threads" \
    --json "$out/pytorch-unet.json"
  /usr/bin/python3 bench/compare/pytorch_variational_autoencoder.py --epochs "$epochs" --threads "$threads" \
    --json "$out/pytorch-vae.json"
fi
/usr/bin/python3 - "$out" <<'PY'
import csv, json, statistics, sys
out = sys.argv[1]
torch = {}
for part in ("", "-classifier", "-conv", "-cnn", "-unet", "-vae"):  # those this scope ran
    try:
        torch.update(json.load(open(f"{out}/pytorch{part}.json"))["models"])
    except FileNotFoundError:
        pass
# The VAE's val_loss is minus its test ELBO.
for entry in torch.get("vae", {"epochs": []})["epochs"]:
    entry["val_loss"] = -entry["test_elbo"]
print(f"\n{'model':<10} {'typenet s/epoch':>16} {'PyTorch s/epoch':>16} {'speed-up':>9}  {'measure':<13} {'typenet':>8} {'PyTorch':>8}")
# The classifiers are validated on the test set, so their val_accuracy is the test accuracy.
for name, column, measure, digits in (("dense", "val_loss", "val_loss", 5), ("denoise", "val_loss", "val_loss", 5),
                                      ("classifier", "val_accuracy", "test_accuracy", 4),
                                      ("conv", "val_loss", "val_loss", 5),
                                      ("cnn", "val_accuracy", "test_accuracy", 4),
                                      ("unet", "val_loss", "val_loss", 5),
                                      ("vae", "val_loss", "minus_elbo", 2)):
    if name not in torch:
        continue
    rows = list(csv.DictReader(open(f"{out}/{name}/history.csv")))
    ours = statistics.median(float(r["seconds"]) for r in rows)
    theirs = statistics.median(e["seconds"] for e in torch[name]["epochs"])
    print(f"{name:<10} {ours:>16.3f} {theirs:>16.3f} {theirs / ours:>8.1f}x  {measure:<13} "
          f"{float(rows[-1][column]):>8.{digits}f} {torch[name]['epochs'][-1][column]:>8.{digits}f}")
PY
