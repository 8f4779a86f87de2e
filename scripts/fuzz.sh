#!/usr/bin/env bash
# Builds every libFuzzer target (clang) and runs each for a while over its seed corpus.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
scripts/install-deps.sh --fuzz
targets=()
for part in fuzz/*.cmake; do targets+=("$(basename "$part" .cmake)_fuzz"); done
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEASEHOLD_WERROR=ON \
  -DLEASEHOLD_FUZZ=ON -DLEASEHOLD_TESTS=OFF -DLEASEHOLD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
for part in fuzz/*.cmake; do
  name="$(basename "$part" .cmake)"
  target="build-fuzz/fuzz/${name}_fuzz"
  work="$(mktemp -d)"
  echo "fuzzing ${name} for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/" \
       "$work" "fuzz/corpus/${name}" >"$work/log" 2>&1; then
    tail -40 "$work/log"
    echo "fuzzer ${name} found a failure; reproducer in $work"
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$work/log" || true
  rm -rf "$work"
done
echo "fuzz: all targets ran clean"
