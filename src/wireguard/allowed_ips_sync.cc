#include "wireguard/allowed_ips_sync.h"

#include <algorithm>
#include <map>

namespace leasehold::wireguard {

namespace {

net::Prefix host_prefix(const net::Address& a) { return net::Prefix(a, a.is_v4() ? 32 : 128); }

bool is_host(const net::Prefix& p) { return p.length() == (p.family() == net::Family::v4 ? 32 : 128); }

// Groups per-address decisions into one update per peer, in first-seen order.
class UpdateBuilder {
 public:
  void add(const lease::PublicKey& key, const net::Prefix& p) { entry(key).add.push_back(p); }
  void remove(const lease::PublicKey& key, const net::Prefix& p) { entry(key).remove.push_back(p); }
  std::vector<AllowedIpsUpdate> take() { return std::move(updates_); }

 private:
  AllowedIpsUpdate& entry(const lease::PublicKey& key) {
    auto [it, fresh] = index_.emplace(key, updates_.size());
    if (fresh) updates_.push_back(AllowedIpsUpdate{key, {}, {}});
    return updates_[it->second];
  }
  std::map<lease::PublicKey, std::size_t> index_;
  std::vector<AllowedIpsUpdate> updates_;
};

}  // namespace

std::vector<AllowedIpsUpdate> updates_for(std::span<const lease::LeaseChange> changes) {
  using Kind = lease::LeaseChange::Kind;
  // (key, address) -> carry it or not, last change wins.
  std::map<std::pair<lease::PublicKey, net::Address>, bool> last;
  std::vector<std::pair<lease::PublicKey, net::Address>> order;
  for (const lease::LeaseChange& c : changes) {
    auto id = std::make_pair(c.record.key, c.record.address);
    bool carry = c.kind == Kind::grant || c.kind == Kind::renew;
    auto [it, fresh] = last.emplace(id, carry);
    if (fresh) order.push_back(id);
    else it->second = carry;
  }
  UpdateBuilder out;
  for (const auto& id : order) {
    if (last[id]) out.add(id.first, host_prefix(id.second));
    else out.remove(id.first, host_prefix(id.second));
  }
  return out.take();
}

std::vector<AllowedIpsUpdate> reconcile_plan(const DeviceInfo& device, std::span<const LiveAddress> live,
                                             std::span<const net::Prefix> lease_space) {
  std::map<lease::PublicKey, std::vector<net::Prefix>> wanted;
  for (const auto& [key, address] : live) wanted[key].push_back(host_prefix(address));
  auto in_lease_space = [&](const net::Prefix& p) {
    return is_host(p) && std::any_of(lease_space.begin(), lease_space.end(),
                                     [&](const net::Prefix& s) { return s.contains(p.address()); });
  };
  UpdateBuilder out;
  for (const PeerInfo& peer : device.peers) {
    auto it = wanted.find(peer.key);
    const std::vector<net::Prefix> none;
    const std::vector<net::Prefix>& want = it == wanted.end() ? none : it->second;
    const auto& have = peer.allowed_ips;
    for (const net::Prefix& p : want)
      if (std::find(have.begin(), have.end(), p) == have.end()) out.add(peer.key, p);
    for (const net::Prefix& p : have)
      if (in_lease_space(p) && std::find(want.begin(), want.end(), p) == want.end()) out.remove(peer.key, p);
  }
  return out.take();
}

AllowedIpsSync::AllowedIpsSync(std::unique_ptr<Device> device, std::vector<net::Prefix> lease_space,
                               LiveSnapshot live)
    : device_(std::move(device)), lease_space_(std::move(lease_space)), live_(std::move(live)) {}

void AllowedIpsSync::set_lease_space(std::vector<net::Prefix> lease_space) {
  std::lock_guard lock(space_mutex_);
  lease_space_ = std::move(lease_space);
}

Status AllowedIpsSync::reconcile() {
  // Read the live set first: a lease granted after this snapshot is applied by a later
  // apply(), which runs after this reconcile on the same thread.
  std::vector<LiveAddress> live = live_();
  auto info = device_->get();
  if (!info) {
    dirty_ = true;
    stats_.failures++;
    return info.error();
  }
  std::vector<AllowedIpsUpdate> plan;
  {
    std::lock_guard lock(space_mutex_);
    plan = reconcile_plan(*info, live, lease_space_);
  }
  if (auto st = device_->update(plan); !st) {
    dirty_ = true;
    stats_.failures++;
    return st;
  }
  for (const auto& u : plan) {
    stats_.added += u.add.size();
    stats_.removed += u.remove.size();
  }
  stats_.reconciles++;
  dirty_ = false;
  return {};
}

Status AllowedIpsSync::apply(std::span<const lease::LeaseChange> changes) {
  if (dirty_) return reconcile();
  auto updates = updates_for(changes);
  if (updates.empty()) return {};
  if (auto st = device_->update(updates); !st) {
    dirty_ = true;
    stats_.failures++;
    return st;
  }
  stats_.updates++;
  return {};
}

void AllowedIpsSync::retry_if_dirty() {
  if (dirty_) (void)reconcile();
}

}  // namespace leasehold::wireguard
