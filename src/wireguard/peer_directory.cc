#include "wireguard/peer_directory.h"

#include "wireguard/link_local.h"

namespace leasehold::wireguard {

namespace {
constexpr auto kMinMissRefresh = std::chrono::seconds(1);
}

bool is_link_local_host(const net::Prefix& p) {
  static const net::Prefix kLinkLocal(net::Address::v6(net::uint128(0xfe80) << 112), 10);
  return p.family() == net::Family::v6 && p.length() == 128 && kLinkLocal.contains(p.address());
}

WireGuardPeerDirectory::WireGuardPeerDirectory(std::unique_ptr<Device> device, bool zero_touch)
    : device_(std::move(device)), zero_touch_(zero_touch) {}

Status WireGuardPeerDirectory::refresh() {
  std::lock_guard lock(refresh_mutex_);
  return refresh_locked();
}

Status WireGuardPeerDirectory::refresh_locked() const {
  last_refresh_ = std::chrono::steady_clock::now();
  auto info = device_->get();
  if (!info) return info.error();
  auto map = std::make_shared<Map>();
  for (const PeerInfo& peer : info->peers)
    for (const net::Prefix& ip : peer.allowed_ips)
      if (is_link_local_host(ip)) map->emplace(ip.address(), peer.key);
  Status added = zero_touch_ ? add_derived(*info, *map) : Status{};
  std::unique_lock write(map_mutex_);
  map_ = std::move(map);
  return added;
}

// Gives each peer its derived link-local, unless that address already names a peer (two
// keys cannot share one; the first holder keeps it).
Status WireGuardPeerDirectory::add_derived(const DeviceInfo& info, Map& map) const {
  std::vector<AllowedIpsUpdate> updates;
  for (const PeerInfo& peer : info.peers) {
    net::Address ll = derived_link_local(peer.key);
    if (map.count(ll)) continue;
    updates.push_back(AllowedIpsUpdate{peer.key, {net::Prefix(ll, 128)}, {}});
  }
  if (updates.empty()) return {};
  if (auto st = device_->update(updates); !st) return st;
  for (const auto& u : updates) map.emplace(u.add.front().address(), u.key);
  return {};
}

std::optional<lease::PublicKey> WireGuardPeerDirectory::find(const net::Address& source) const {
  auto lookup = [&]() -> std::optional<lease::PublicKey> {
    std::shared_lock read(map_mutex_);
    auto it = map_->find(source);
    if (it == map_->end()) return std::nullopt;
    return it->second;
  };
  if (auto key = lookup()) return key;
  {
    std::lock_guard lock(refresh_mutex_);
    if (std::chrono::steady_clock::now() - last_refresh_ < kMinMissRefresh) return std::nullopt;
    // A new peer, or one whose link-local was just added: read the device again.
    (void)refresh_locked();
  }
  return lookup();
}

std::size_t WireGuardPeerDirectory::size() const {
  std::shared_lock read(map_mutex_);
  return map_->size();
}

}  // namespace leasehold::wireguard
