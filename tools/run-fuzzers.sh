#!/usr/bin/env bash
# The fuzz command: builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp) with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz, then
# runs each for the given seconds (20 by default) on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/ is never written). Fails if a target finds a
# crash, a leak, an out-of-memory or a timeout: the input is then in
# build-fuzz/runs/<target>/findings/, the report in build-fuzz/runs/<target>/log.
#   bash tools/run-fuzzers.sh [seconds] [target...]   (every target by default)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds per target, default 20] [target...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
bash tools/install-dependencies.sh

build=build-fuzz
# Debug: assertions stay on; the targets set -O1 -g themselves.
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DTYPENET_FUZZ=ON \
  -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_SAMPLES=OFF -DTYPENET_BUILD_BENCHMARKS=OFF > /dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  cmake --build "$build" -j2
  for source in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp)"); done
else
  cmake --build "$build" -j2 --target "${targets[@]}"
fi

failed=()
for target in "${targets[@]}"; do
  run="$build/runs/$target"
  rm -rf "$run"
  mkdir -p "$run/corpus" "$run/findings" "$run/tmp"
  if [ -d tests/fuzz/corpus/"$target" ]; then cp tests/fuzz/corpus/"$target"/* "$run/corpus/"; fi
  echo "=== $target: $seconds s"
  status=0
  # Reproducers of findings not fixed yet are run first: each still crashing is a failure.
  reproducers=(tests/fuzz/crashes/"$target"/*)
  if [ -e "${reproducers[0]}" ]; then
    TMPDIR="$run/tmp" "$build/tests/fuzz/$target" "${reproducers[@]}" > "$run/reproducers.log" 2>&1 || status=$?
  fi
  # The scratch files of the targets that read paths go to TMPDIR, inside the run.
  TMPDIR="$run/tmp" "$build/tests/fuzz/$target" "$run/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$run/findings/" > "$run/log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "$run/log" || true
  if [ "$status" -ne 0 ] || [ -n "$(ls -A "$run/findings")" ]; then
    failed+=("$target")
    echo "=== $target FOUND A PROBLEM (exit $status):"
    grep -E 'ERROR|SUMMARY|runtime error|property broken|terminate|Test unit written' "$run/log" \
      "$run/reproducers.log" 2>/dev/null | head -20 || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "=== findings in: ${failed[*]} (see $build/runs/<target>/)"
  exit 1
fi
echo "=== no findings"
