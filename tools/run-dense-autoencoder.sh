#!/usr/bin/env bash
# The main job: installs what is missing for it (not the test tools), builds
# the sample in Release and trains the notebook's dense autoencoder on
# Fashion-MNIST. Arguments go to the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-dependencies.sh main
cmake -S . -B build-main -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-main -j2 --target dense_autoencoder
./build-main/samples/dense_autoencoder "$@"
