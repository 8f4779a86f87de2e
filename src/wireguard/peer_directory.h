// WireGuardPeerDirectory: who is asking, as WireGuard proves it. A request's source is a
// link-local address; the peer whose allowed-ips hold that address as a /128 sent it
// (cryptokey routing lets nothing else through). Keeps a cache of the device's /128
// link-local entries, re-read periodically and on a miss (at most once a second, so a
// stream of strangers cannot turn into a stream of device dumps). In zero-touch mode every
// refresh also gives each peer its derived link-local /128 (link_local.h).
// Thread-safe: find() from any request thread, refresh() from one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "lease/peer_directory.h"
#include "wireguard/device.h"

namespace leasehold::wireguard {

class WireGuardPeerDirectory final : public lease::PeerDirectory {
 public:
  WireGuardPeerDirectory(std::unique_ptr<Device> device, bool zero_touch);

  // Re-reads the device. Keeps the previous map if the device cannot be read.
  Status refresh();
  std::optional<lease::PublicKey> find(const net::Address& source) const override;
  std::size_t size() const;
  const std::string& interface() const { return device_->name(); }

 private:
  struct Hash {
    std::size_t operator()(const net::Address& a) const {
      return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(a.value()));
    }
  };
  using Map = std::unordered_map<net::Address, lease::PublicKey, Hash>;
  // find() refreshes on a miss, so refreshing is const: it changes the cache only.
  Status refresh_locked() const;  // REQUIRES: refresh_mutex_ held
  Status add_derived(const DeviceInfo& info, Map& map) const;

  std::unique_ptr<Device> device_;
  bool zero_touch_;
  mutable std::mutex refresh_mutex_;  // serializes device access
  mutable std::chrono::steady_clock::time_point last_refresh_{};
  mutable std::shared_mutex map_mutex_;
  mutable std::shared_ptr<const Map> map_ = std::make_shared<Map>();
};

// A link-local /128 that identifies a peer: fe80::/10, prefix length 128.
bool is_link_local_host(const net::Prefix& p);

}  // namespace leasehold::wireguard
