// The benchmark's peers: deterministic keys and per-peer loopback source addresses, and
// the leasehold-server configuration that lists them. Peer i is the same key in the
// server config, the seeded 1M-lease database and the load generator. Pure functions
// except write_server_config(); thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "lease/public_key.h"

namespace leasehold::bench {

// Source addresses run from 127.16.0.1 upwards, skipping .0 and .255 last octets.
constexpr std::uint64_t kMaxPeers = 8'000'000;

// REQUIRES: index < kMaxPeers (for both functions).
lease::PublicKey peer_key(std::uint64_t index);
std::uint32_t peer_source(std::uint64_t index);  // IPv4 in host byte order

std::string ipv4_text(std::uint32_t host_order);

struct ServerConfig {
  std::uint16_t port = 0;
  std::string db_path;
  std::uint64_t peer_count = 0;  // peers 0 .. peer_count-1 are listed
  int threads = 1;               // request-ip.threads
};

// Writes the JSON configuration leasehold-server reads with --config.
Status write_server_config(const std::string& path, const ServerConfig& config);

}  // namespace leasehold::bench
