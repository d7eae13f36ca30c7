#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every test
# in four configurations: g++ and clang for this machine's instruction set,
# g++ for AVX2 (x86-64-v3), and clang with AddressSanitizer and
# UndefinedBehaviorSanitizer; then the portable tests (the kernels, the
# gradients, the allocations, short trainings, embed_denoiser against the
# first build's) without SIMD (TYPENET_NO_SIMD) and for ARM64 under QEMU; then
# the concurrency tests under ThreadSanitizer, and every fuzz target for a
# short bounded time. The
# tutorials' samples (fashion_classifier, conv_autoencoder, fashion_cnn,
# unet_denoiser, variational_autoencoder) and their tests are built in the
# first two only (TYPENET_BUILD_TUTORIAL_SAMPLES: one compiler each, no
# sanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-dependencies.sh tests

run_suite() {  # build directory, C++ compiler, extra cmake arguments...
  local dir=$1 compiler=$2
  shift 2
  echo "=== tests: $dir ($compiler $*)"
  local start=$SECONDS
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER="$compiler" "$@" > /dev/null
  cmake --build "$dir" -j2
  ctest --test-dir "$dir" -j2 --output-on-failure --timeout 600
  echo "=== $dir: $((SECONDS - start)) s"
}

run_suite build g++ -DCMAKE_BUILD_TYPE=Release
run_suite build-clang clang++ -DCMAKE_BUILD_TYPE=Release -DTYPENET_BUILD_BENCHMARKS=OFF
run_suite build-avx2 g++ -DCMAKE_BUILD_TYPE=Release -DTYPENET_ARCH=x86-64-v3 -DTYPENET_BUILD_BENCHMARKS=OFF \
  -DTYPENET_BUILD_TUTORIAL_SAMPLES=OFF
run_suite build-sanitize clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYPENET_SANITIZE=address,undefined
portable=(-DCMAKE_BUILD_TYPE=Release -DTYPENET_PORTABLE_TESTS_ONLY=ON -DTYPENET_BUILD_BENCHMARKS=OFF
  -DTYPENET_REFERENCE_BUILD="$PWD/build")
run_suite build-scalar g++ "${portable[@]}" -DTYPENET_NO_SIMD=ON -DTYPENET_ARCH=x86-64
run_suite build-arm64 aarch64-linux-gnu-g++ "${portable[@]}" --toolchain cmake/aarch64-linux-gnu.cmake

echo "=== ThreadSanitizer: one model, inference from several threads; multithreaded training"
cmake -S . -B build-tsan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTYPENET_SANITIZE=thread \
  -DTYPENET_BUILD_SAMPLES=OFF -DTYPENET_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-tsan -j2 --target test_concurrency
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/test_concurrency

echo "=== fuzz targets, 15 s each"
bash tools/run-fuzzers.sh 15
echo "=== all tests passed"
