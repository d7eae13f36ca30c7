#!/usr/bin/env bash
# Side by side: trains both notebook models with typenet's samples and with the
# Keras-equivalent PyTorch script on this machine, then prints the median epoch
# time of each, their ratio and the final val_loss of each.
#   bash bench/compare/run.sh [epochs] [threads]     (defaults: 10 and 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-10}
threads=${2:-2}
bash tools/install-dependencies.sh
dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed" || {
  run_as_root=(); [ "$(id -u)" -eq 0 ] || run_as_root=(sudo)
  DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -q python3-torch
}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target dense_autoencoder denoising_autoencoder
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./build/samples/dense_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/dense"
./build/samples/denoising_autoencoder --epochs "$epochs" --threads "$threads" --out "$out/denoise"
/usr/bin/python3 bench/compare/pytorch_autoencoders.py --model both --epochs "$epochs" --threads "$threads" \
  --json "$out/pytorch.json"
/usr/bin/python3 - "$out" <<'PY'
import csv, json, statistics, sys
out = sys.argv[1]
torch = json.load(open(f"{out}/pytorch.json"))
print(f"\n{'model':<8} {'typenet s/epoch':>16} {'PyTorch s/epoch':>16} {'speed-up':>9} {'typenet val_loss':>17} {'PyTorch val_loss':>17}")
for name, folder in (("dense", "dense"), ("denoise", "denoise")):
    rows = list(csv.DictReader(open(f"{out}/{folder}/history.csv")))
    ours = statistics.median(float(r["seconds"]) for r in rows)
    theirs = statistics.median(e["seconds"] for e in torch["models"][name]["epochs"])
    print(f"{name:<8} {ours:>16.3f} {theirs:>16.3f} {theirs / ours:>8.1f}x "
          f"{float(rows[-1]['val_loss']):>17.5f} {torch['models'][name]['epochs'][-1]['val_loss']:>17.5f}")
PY
