#include "peers.h"

#include <arpa/inet.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace leasehold::bench {
namespace {

constexpr std::uint32_t kSourceBase = 0x7F100000;  // 127.16.0.0
constexpr std::uint64_t kHostsPer24 = 254;

// splitmix64: spreads a counter over all 64 bits, so keys look random but repeat per index.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

lease::PublicKey peer_key(std::uint64_t index) {
  assert(index < kMaxPeers);
  std::array<std::uint8_t, lease::PublicKey::kSize> bytes{};
  for (std::size_t word = 0; word < bytes.size() / 8; ++word) {
    std::uint64_t v = mix(index * 4 + word);
    for (std::size_t b = 0; b < 8; ++b) bytes[word * 8 + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  return lease::PublicKey(bytes);
}

std::uint32_t peer_source(std::uint64_t index) {
  assert(index < kMaxPeers);
  auto subnet = static_cast<std::uint32_t>(index / kHostsPer24);
  auto host = static_cast<std::uint32_t>(index % kHostsPer24) + 1;
  return kSourceBase + (subnet << 8) + host;
}

std::string ipv4_text(std::uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  char buf[INET_ADDRSTRLEN];
  return ::inet_ntop(AF_INET, &a, buf, sizeof buf) ? std::string(buf) : std::string("?");
}

Status write_server_config(const std::string& path, const ServerConfig& config) {
  if (config.peer_count > kMaxPeers)
    return make_error(Errc::invalid_argument,
                      "peer count is above " + std::to_string(kMaxPeers) + ": " +
                          std::to_string(config.peer_count));
  nlohmann::json peers = nlohmann::json::array();
  for (std::uint64_t i = 0; i < config.peer_count; ++i)
    peers.push_back({{"public-key", peer_key(i).to_base64()}, {"source", ipv4_text(peer_source(i))}});

  nlohmann::json doc = {
      {"Leasehold",
       {{"request-ip",
         {{"listen", {"127.0.0.1:" + std::to_string(config.port)}},
          {"require-source-port", 0},
          {"max-connections", 4096},
          {"threads", config.threads}}},
        {"valid-lifetime", 3600},
        {"min-valid-lifetime", 60},
        {"max-valid-lifetime", 86400},
        {"hold-reclaimed-time", 0},
        {"subnet4", {{{"id", 1}, {"subnet", "10.0.0.0/8"}, {"pools", {{{"pool", "10.0.0.0/8"}}}}}}},
        {"subnet6",
         {{{"id", 1}, {"subnet", "fd00:47::/64"}, {"pools", {{{"pool", "fd00:47::/64"}}}}}}},
        {"peers", std::move(peers)},
        {"lease-database", {{"type", "sqlite"}, {"name", config.db_path}}}}}};

  std::ofstream out(path, std::ios::trunc);
  out << doc.dump(1) << '\n';
  out.close();
  if (!out) return make_error(Errc::io, "cannot write server config " + path + ": " + std::strerror(errno));
  return {};
}

}  // namespace leasehold::bench
