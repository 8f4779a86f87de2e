// The engine's administrative side: leases added, rewritten or removed through the control
// API. Same rules as the protocol path (one binding per family per peer, reservations
// belong to their peer) and the same change feed, so the store, WireGuard and leasequery
// see an operator's change exactly like a peer's.
#include <algorithm>

#include "lease/engine.h"

namespace leasehold::lease {

using net::Address;
using net::Family;

namespace {
std::string family_word(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }

bool is_v4_edge(const SubnetSpec& s, const Address& a) {
  return s.prefix.family() == Family::v4 && s.prefix.length() < 31 && (a == s.prefix.first() || a == s.prefix.last());
}
}  // namespace

// cltt as given, or from Kea's "expire" with the lease's lifetime (the policy's when the
// command gives none, as Kea uses the subnet's), or now.
std::int64_t Engine::cltt_of(const AdminLease& lease) const {
  if (lease.cltt) return *lease.cltt;
  if (lease.expire) return *lease.expire - lease.valid_lifetime.value_or(policy_.valid_lifetime);
  return clock_.wall_seconds();
}

const SubnetSpec* Engine::subnet_by_id(Family f, std::uint32_t id) const {
  for (const auto& s : policy_.subnets)
    if (s.id == id && s.prefix.family() == f) return &s;
  return nullptr;
}

const SubnetSpec* Engine::subnet_holding(const Address& a) const {
  for (const auto& s : policy_.subnets)
    if (s.prefix.contains(a)) return &s;
  return nullptr;
}

net::uint128 Engine::pool_size(Family f, std::uint32_t subnet_id) const {
  net::uint128 n = 0;
  for (const auto& pool : effective_pools(policy_, f))
    if (pool.subnet_id == subnet_id) n += pool.range.size();
  return n;
}

std::optional<LeaseRecord> Engine::lease_at(const Address& a) const {
  auto v = with_pools(a.family(), [&](const auto& p) { return p.find(a); });
  if (!v || *v > kMaxSlot) return std::nullopt;
  return record_of(*v, a.family());
}

// The subnet a new or rewritten lease belongs to, with Kea's texts for the failures.
Result<std::uint32_t> Engine::check_admin_subnet(const AdminLease& lease) const {
  const Address& a = lease.address;
  const std::string fam = family_word(a.family());
  const SubnetSpec* subnet = nullptr;
  if (lease.subnet_id && *lease.subnet_id != 0) {
    subnet = subnet_by_id(a.family(), *lease.subnet_id);
    if (!subnet)
      return make_error(Errc::invalid_argument, "Invalid subnet-id: No " + fam + " subnet with subnet-id=" +
                                                    std::to_string(*lease.subnet_id) + " currently configured.");
    if (!subnet->prefix.contains(a))
      return make_error(Errc::invalid_argument, "The address " + a.to_string() + " does not belong to subnet " +
                                                    subnet->prefix.to_string() + ", subnet-id=" + std::to_string(subnet->id));
  } else {
    subnet = subnet_holding(a);
    if (!subnet)
      return make_error(Errc::invalid_argument,
                        "subnet-id not specified and failed to find a subnet for address " + a.to_string());
  }
  if (is_v4_edge(*subnet, a))
    return make_error(Errc::invalid_argument, "The address " + a.to_string() + " is the network or broadcast address of subnet " +
                                                  subnet->prefix.to_string());
  return subnet->id;
}

// Checks that `lease` may stand: its times make sense, the address is not reserved for
// another peer, and the peer holds no other lease of the family. `slot` is the peer
// holding the address now, if any (an update replaces that binding).
Status Engine::check_admin_address(const AdminLease& lease, std::optional<std::uint32_t> slot) const {
  const Address& a = lease.address;
  const Family f = a.family();
  if (lease.valid_lifetime && *lease.valid_lifetime == 0)
    return make_error(Errc::invalid_argument, "valid-lft must be at least 1");
  const std::int64_t now = clock_.wall_seconds();
  const std::int64_t end = cltt_of(lease) + lease.valid_lifetime.value_or(policy_.valid_lifetime);
  if (end <= now)
    return make_error(Errc::invalid_argument, "The lease for " + a.to_string() + " would have expired already (cltt + valid-lft is not after now)");
  // Kea takes any expiry (its own example uses one years ahead); the engine's timers count
  // up to 2^31 - 1 seconds from now.
  if (end - now > 0x7fffffff) return make_error(Errc::invalid_argument, "The lease would end more than 68 years from now");
  if (reserved_for_other(a, lease.key))
    return make_error(Errc::conflict, "The address " + a.to_string() + " is reserved for another peer.");
  if (auto peer = peers_.find(lease.key); peer && (!slot || *peer != *slot)) {
    const PeerSlot& s = peers_.at(*peer);
    if (s.binding(f).present())
      return make_error(Errc::conflict, "The peer already holds " + family_word(f) + " lease " + s.address(f).to_string() +
                                            "; a peer holds one lease per family.");
  }
  return {};
}

void Engine::bind_admin(const AdminLease& lease, std::uint32_t subnet_id, LeaseChange::Kind kind) {
  const Family f = lease.address.family();
  std::uint32_t slot = peers_.find_or_create(lease.key);
  std::int64_t now = clock_.wall_seconds();
  std::int64_t cltt = cltt_of(lease);
  std::uint32_t lifetime = lease.valid_lifetime.value_or(policy_.valid_lifetime);
  auto remaining = static_cast<std::uint32_t>(cltt + lifetime - now);
  extras_.erase(lease.address);
  if (!lease.hostname.empty() || !lease.user_context.empty())
    extras_[lease.address] = Extras{lease.hostname, lease.user_context};
  bind(slot, f, lease.address, subnet_id, cltt, lifetime, remaining);
  publish(kind, record_of(slot, f));
}

Result<LeaseRecord> Engine::add_lease(const AdminLease& lease) {
  expire_due();
  auto subnet = check_admin_subnet(lease);
  if (!subnet) return subnet.error();
  if (lease_at(lease.address))
    return make_error(Errc::conflict, family_word(lease.address.family()) + " lease already exists.");
  if (auto st = check_admin_address(lease, std::nullopt); !st) return st.error();
  bind_admin(lease, *subnet, LeaseChange::Kind::grant);
  return *lease_at(lease.address);
}

// Rewrites the lease at the address. The same peer keeps its binding (published as a
// renew, the row rewritten in place); a new peer takes it over (the old peer's binding is
// released first, so WireGuard moves the address from one peer to the other).
Result<LeaseRecord> Engine::update_lease(const AdminLease& lease) {
  expire_due();
  const Address& a = lease.address;
  const Family f = a.family();
  auto holder = with_pools(f, [&](const auto& p) { return p.find(a); });
  if (!holder || *holder > kMaxSlot)
    return make_error(Errc::not_found, "failed to update the lease with address " + a.to_string() +
                                           " either because the lease has been deleted or it has changed in the "
                                           "database, in both cases a retry might succeed");
  auto subnet = check_admin_subnet(lease);
  if (!subnet) return subnet.error();
  std::uint32_t old_slot = *holder;
  if (auto st = check_admin_address(lease, old_slot); !st) return st.error();
  if (peers_.at(old_slot).key == lease.key) {
    bind_admin(lease, *subnet, LeaseChange::Kind::renew);
    return *lease_at(a);
  }
  LeaseRecord old = record_of(old_slot, f);
  old.state = LeaseState::expired_reclaimed;
  expiry_.cancel(ExpiryQueue::ref_of(old_slot, f));
  peers_.at(old_slot).binding(f) = Binding{};
  draining_.erase(a);
  publish(LeaseChange::Kind::release, old);
  release_slot_if_empty(old_slot);
  bind_admin(lease, *subnet, LeaseChange::Kind::grant);
  return *lease_at(a);
}

Result<LeaseRecord> Engine::remove_lease(const Address& a, bool as_release) {
  expire_due();
  const Family f = a.family();
  auto holder = with_pools(f, [&](const auto& p) { return p.find(a); });
  if (!holder || *holder > kMaxSlot) return make_error(Errc::not_found, family_word(f) + " lease not found.");
  std::uint32_t slot = *holder;
  LeaseRecord before = record_of(slot, f);
  if (as_release) {
    end_binding(slot, f, LeaseChange::Kind::release);
  } else {
    // Released and then deleted at once: no hold, the address is free again.
    LeaseRecord ended = before;
    ended.state = LeaseState::expired_reclaimed;
    expiry_.cancel(ExpiryQueue::ref_of(slot, f));
    peers_.at(slot).binding(f) = Binding{};
    extras_.erase(a);
    draining_.erase(a);
    publish(LeaseChange::Kind::release, ended);
    settle_ended_address(ended, now_rel());
  }
  release_slot_if_empty(slot);
  return before;
}

bool Engine::drain(const Address& a) {
  if (!lease_at(a)) return false;
  draining_.insert(a);
  return true;
}

std::size_t Engine::wipe(Family f, std::optional<std::uint32_t> subnet_id) {
  std::vector<Address> doomed;
  for_each_lease_from(f == Family::v4 ? Address::v4(0) : Address::v6(0), [&](const LeaseRecord& r) {
    if (!subnet_id || r.subnet_id == *subnet_id) doomed.push_back(r.address);
    return true;
  });
  for (const auto& a : doomed) (void)remove_lease(a, false);
  return doomed.size();
}

// Reservations of the control API: checked like the configuration's (with which they
// must not collide), indexed with them, and kept across configure().
Status Engine::add_reservation(const ReservationSpec& r) {
  if (reservation_of(r.key)) return make_error(Errc::conflict, "The peer already has a reservation.");
  for (const auto& a : {r.v4, r.v6}) {
    if (!a) continue;
    if (reserved_for(*a)) return make_error(Errc::conflict, "The address " + a->to_string() + " is already reserved.");
    const SubnetSpec* s = subnet_holding(*a);
    if (!s) return make_error(Errc::invalid_argument, "The address " + a->to_string() + " is in no configured subnet.");
    if (is_v4_edge(*s, *a))
      return make_error(Errc::invalid_argument, "The address " + a->to_string() + " is the network or broadcast address of subnet " +
                                                    s->prefix.to_string() + ".");
  }
  if (!r.v4 && !r.v6) return make_error(Errc::invalid_argument, "The reservation has no address.");
  runtime_reservations_.push_back(r);
  index_reservations();
  // Free addresses are kept for their owner at once; a leased one when its lease ends.
  for (const auto& a : {r.v4, r.v6})
    if (a) with_pools(a->family(), [&](auto& p) { p.insert(*a, kReservedMark); });
  return {};
}

Status Engine::remove_reservation(const PublicKey& key) {
  auto it = std::find_if(runtime_reservations_.begin(), runtime_reservations_.end(),
                         [&](const ReservationSpec& r) { return r.key == key; });
  if (it == runtime_reservations_.end()) {
    if (reservation_of(key))
      return make_error(Errc::conflict, "The reservation comes from the configuration file; change it with config-set.");
    return make_error(Errc::not_found, "Host not deleted (not found).");
  }
  ReservationSpec gone = *it;
  runtime_reservations_.erase(it);
  index_reservations();
  for (const auto& a : {gone.v4, gone.v6}) {
    if (!a) continue;
    with_pools(a->family(), [&](auto& p) {
      auto v = p.find(*a);
      if (v && *v == kReservedMark) p.erase(*a);
    });
  }
  return {};
}

}  // namespace leasehold::lease
