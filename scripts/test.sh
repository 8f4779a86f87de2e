#!/usr/bin/env bash
# Runs every test: installs dependencies, builds with -Werror, runs CTest (unit tests,
# integration tests that start the real binaries on loopback, and, as root, end-to-end
# tests on wireguard-go tunnels in network namespaces, which then must not skip).
# Usage: scripts/test.sh [--sanitize]   (--sanitize: ASan + UBSan build in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

if [[ "${1:-}" == "--sanitize" ]]; then
  build_dir=build-asan
  scripts/build.sh "$build_dir" -DLEASEHOLD_SANITIZE=ON -DLEASEHOLD_BENCH=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build_dir=build
  scripts/build.sh "$build_dir"
fi
cd "$build_dir"
if [[ $(id -u) -eq 0 ]]; then export LEASEHOLD_E2E_REQUIRED=1; fi
ctest --output-on-failure -j "$(nproc)"
