// PeerDirectory: who is asking? Maps a request's source address to the peer's public key.
// The static directory comes from the config; the WireGuard one (allowed-ips) and the
// Anode one (packet MACs) implement the same interface elsewhere. Read on the engine thread.
#pragma once

#include <optional>
#include <unordered_map>

#include "lease/public_key.h"
#include "net/address.h"

namespace leasehold::lease {

class PeerDirectory {
 public:
  virtual ~PeerDirectory() = default;
  virtual std::optional<PublicKey> find(const net::Address& source) const = 0;
};

class StaticPeerDirectory final : public PeerDirectory {
 public:
  // Returns false if `source` is already mapped (sources must be unique).
  bool add(const net::Address& source, const PublicKey& key) {
    return peers_.emplace(source, key).second;
  }
  std::optional<PublicKey> find(const net::Address& source) const override {
    auto it = peers_.find(source);
    if (it == peers_.end()) return std::nullopt;
    return it->second;
  }
  std::size_t size() const { return peers_.size(); }

 private:
  struct AddressHash {
    std::size_t operator()(const net::Address& a) const {
      net::uint128 v = a.value();
      auto x = static_cast<std::uint64_t>(v) ^ static_cast<std::uint64_t>(v >> 64) * 0x9e3779b97f4a7c15ull;
      x ^= x >> 31;
      x *= 0xbf58476d1ce4e5b9ull;
      return static_cast<std::size_t>(x ^ (x >> 29) ^ static_cast<std::uint64_t>(a.family()));
    }
  };
  std::unordered_map<net::Address, PublicKey, AddressHash> peers_;
};

}  // namespace leasehold::lease
