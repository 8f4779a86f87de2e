#!/usr/bin/env bash
# Configures and builds leasehold. Usage: scripts/build.sh BUILD_DIR [cmake options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="$1"
shift
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEASEHOLD_WERROR=ON "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
