#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever typenet's build, tests and
# samples need and this machine lacks. Safe to run again: it installs nothing
# that is already there.
set -euo pipefail

packages=(
  g++ clang cmake make pkg-config
  libxsimd-dev libfmt-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libpng-dev libcli11-dev nlohmann-json3-dev libclang-rt-14-dev valgrind
  dataset-fashion-mnist
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
run_as_root=()
[ "$(id -u)" -eq 0 ] || run_as_root=(sudo)
"${run_as_root[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
