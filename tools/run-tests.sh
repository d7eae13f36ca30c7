#!/usr/bin/env bash
# The test command: installs what is missing, then builds and runs every test
# with g++ and with clang (each for this machine's instruction set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-dependencies.sh

run_suite() {  # build directory, C++ compiler, extra cmake arguments...
  local dir=$1 compiler=$2
  shift 2
  echo "=== tests: $dir ($compiler $*)"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$compiler" "$@" > /dev/null
  cmake --build "$dir" -j2
  ctest --test-dir "$dir" -j2 --output-on-failure --timeout 600
}

run_suite build g++
run_suite build-clang clang++ -DTYPENET_BUILD_BENCHMARKS=OFF
echo "=== all tests passed"
