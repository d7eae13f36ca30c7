#!/usr/bin/env bash
# Installs, from Debian 12's own packages, what this machine lacks for one of
# two jobs: "main" (build and run the samples) or "tests" (everything the test
# command builds and runs: clang, GoogleTest, Google Benchmark, valgrind, the
# sanitizers' runtime, PyTorch, which loads typenet's safetensors in a test,
# and the ARM64 cross compiler, QEMU and the arm64 libraries, which it adds
# to dpkg's architectures). Safe to run again: it installs nothing already there.
set -euo pipefail

main_packages=(
  g++ cmake make pkg-config
  libxsimd-dev libfmt-dev zlib1g-dev libpng-dev libcli11-dev nlohmann-json3-dev
  # The samples' figures: PLplot, its cairo driver (PNG and SVG), and the
  # font their text is set in, named so that every machine draws the same bytes.
  libplplot-dev plplot-driver-cairo fonts-dejavu-core
  dataset-fashion-mnist
)
test_packages=(
  clang googletest libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev valgrind
  python3-torch
  # The ARM64 build, run under QEMU (cmake/aarch64-linux-gnu.cmake), with the
  # arm64 libraries it links through Debian's multiarch, and the embedded
  # inference test's 32-bit ARM build (tests/embedded). (Debian's cross
  # compilers and g++-multilib exclude each other: no -m32 x86 build.)
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user
  libc6:arm64 libfmt-dev:arm64 zlib1g-dev:arm64 libpng-dev:arm64 libgtest-dev:arm64
)

case "${1:-tests}" in
  main) packages=("${main_packages[@]}") ;;
  tests) packages=("${main_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [main|tests]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
run_as_root=()
[ "$(id -u)" -eq 0 ] || run_as_root=(sudo)
if [[ " ${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${run_as_root[@]}" dpkg --add-architecture arm64
fi
"${run_as_root[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
