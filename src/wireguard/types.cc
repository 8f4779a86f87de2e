#include "wireguard/types.h"

#include <algorithm>
#include <map>

namespace leasehold::wireguard {

bool has_removals(std::span<const AllowedIpsUpdate> updates) {
  return std::any_of(updates.begin(), updates.end(), [](const AllowedIpsUpdate& u) { return !u.remove.empty(); });
}

std::vector<KeptList> lists_after_removals(std::span<const AllowedIpsUpdate> updates, const DeviceInfo& current) {
  std::map<lease::PublicKey, std::vector<net::Prefix>> removals;
  std::vector<lease::PublicKey> order;
  for (const AllowedIpsUpdate& update : updates) {
    if (update.remove.empty()) continue;
    auto [it, inserted] = removals.try_emplace(update.key);
    if (inserted) order.push_back(update.key);
    it->second.insert(it->second.end(), update.remove.begin(), update.remove.end());
  }
  std::map<lease::PublicKey, const PeerInfo*> peers;
  for (const PeerInfo& peer : current.peers) peers.emplace(peer.key, &peer);

  std::vector<KeptList> out;
  for (const lease::PublicKey& key : order) {
    const auto found = peers.find(key);
    if (found == peers.end()) continue;  // not on the device: nothing to take away
    const std::vector<net::Prefix>& remove = removals[key];
    KeptList kept{key, {}};
    for (const net::Prefix& prefix : found->second->allowed_ips)
      if (std::find(remove.begin(), remove.end(), prefix) == remove.end()) kept.keep.push_back(prefix);
    if (kept.keep.size() == found->second->allowed_ips.size()) continue;  // none of them held
    out.push_back(std::move(kept));
  }
  return out;
}

}  // namespace leasehold::wireguard
