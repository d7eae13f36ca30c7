#!/usr/bin/env bash
# The main job: installs what is missing, builds in Release and trains the
# notebook's dense autoencoder on Fashion-MNIST. Arguments go to the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-dependencies.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target dense_autoencoder
./build/samples/dense_autoencoder "$@"
