#!/usr/bin/env bash
# Installs the Debian 12 packages leasehold needs to build, test and run.
# Usage: scripts/install-deps.sh [--fuzz]   (--fuzz adds clang and libFuzzer)
set -euo pipefail

packages=(build-essential cmake ccache pkg-config git
          libboost-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev
          libcli11-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
          iproute2 procps libmnl-dev
          wireguard-go wireguard-tools iputils-ping
          curl openssl kea-ctrl-agent kea-dhcp4-server)
if [[ "${1:-}" == "--fuzz" ]]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
