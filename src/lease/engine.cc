#include "lease/engine.h"

#include <algorithm>
#include <set>

namespace leasehold::lease {

using net::Address;
using net::Family;

namespace {
constexpr Family kFamilies[] = {Family::v4, Family::v6};

bool is_v4_prefix_with_edges(const net::Prefix& p) { return p.family() == Family::v4 && p.length() < 31; }

// Removes one address from a list of ranges, splitting the range that contains it.
void punch(std::vector<net::Range>& ranges, const Address& hole) {
  std::vector<net::Range> out;
  for (const auto& r : ranges) {
    if (!r.contains(hole)) {
      out.push_back(r);
      continue;
    }
    if (hole.value() > r.first.value())
      out.push_back({r.first, Address::v4(static_cast<std::uint32_t>(hole.value() - 1))});
    if (hole.value() < r.last.value())
      out.push_back({Address::v4(static_cast<std::uint32_t>(hole.value() + 1)), r.last});
  }
  ranges.swap(out);
}
}  // namespace

Status validate_policy(const Policy& p) {
  if (p.min_valid_lifetime > p.max_valid_lifetime)
    return make_error(Errc::invalid_argument, "min-valid-lifetime is greater than max-valid-lifetime");
  if (p.valid_lifetime < p.min_valid_lifetime || p.valid_lifetime > p.max_valid_lifetime)
    return make_error(Errc::invalid_argument, "valid-lifetime is outside [min-valid-lifetime, max-valid-lifetime]");
  if (p.min_valid_lifetime == 0) return make_error(Errc::invalid_argument, "min-valid-lifetime must be at least 1");
  std::set<std::pair<int, std::uint32_t>> ids;
  std::vector<net::Range> all_pools;
  for (const auto& s : p.subnets) {
    std::string name = "subnet " + s.prefix.to_string();
    if (s.id == 0) return make_error(Errc::invalid_argument, name + ": id must be 1 or more");
    if (!ids.insert({static_cast<int>(s.prefix.family()), s.id}).second)
      return make_error(Errc::invalid_argument, name + ": id " + std::to_string(s.id) + " is used twice");
    for (const auto& other : p.subnets)
      if (&other != &s && other.prefix.family() == s.prefix.family() &&
          (other.prefix.contains(s.prefix) || s.prefix.contains(other.prefix)))
        return make_error(Errc::invalid_argument, name + " overlaps subnet " + other.prefix.to_string());
    for (const auto& def : s.pools) {
      const net::Range& pool = def.range;
      if (!s.prefix.contains(pool.first) || !s.prefix.contains(pool.last))
        return make_error(Errc::invalid_argument, "pool " + pool.to_string() + " is outside " + name);
      for (const auto& seen : all_pools)
        if (seen.overlaps(pool))
          return make_error(Errc::invalid_argument, "pool " + pool.to_string() + " overlaps pool " + seen.to_string());
      all_pools.push_back(pool);
    }
  }
  std::set<PublicKey> keys;
  std::set<Address> reserved;
  for (std::size_t i = 0; i < p.reservations.size(); ++i) {
    const auto& r = p.reservations[i];
    // Named by position: messages never carry key material.
    std::string name = "reservations[" + std::to_string(i) + "]";
    if (!keys.insert(r.key).second) return make_error(Errc::invalid_argument, name + " is given twice");
    if (!r.v4 && !r.v6) return make_error(Errc::invalid_argument, name + " has no address");
    for (const auto& a : {r.v4, r.v6}) {
      if (!a) continue;
      auto subnet = std::find_if(p.subnets.begin(), p.subnets.end(),
                                 [&](const SubnetSpec& s) { return s.prefix.contains(*a); });
      if (subnet == p.subnets.end())
        return make_error(Errc::invalid_argument, name + ": " + a->to_string() + " is in no configured subnet");
      if (is_v4_prefix_with_edges(subnet->prefix) && (*a == subnet->prefix.first() || *a == subnet->prefix.last()))
        return make_error(Errc::invalid_argument, name + ": " + a->to_string() + " is the network or broadcast address of " +
                                                      subnet->prefix.to_string());
      if (!reserved.insert(*a).second)
        return make_error(Errc::invalid_argument, name + ": " + a->to_string() + " is reserved twice");
    }
    if (r.v4 && !r.v4->is_v4()) return make_error(Errc::invalid_argument, name + ": ip-address is not IPv4");
    if (r.v6 && r.v6->is_v4()) return make_error(Errc::invalid_argument, name + ": ipv6 address is IPv4");
  }
  return {};
}

Result<PoolDef> PoolDef::parse(std::string_view text) {
  auto range = net::Range::parse(text);
  if (!range) return range.error();
  return PoolDef(*range, text.find('/') != std::string_view::npos);
}

std::vector<PoolSpec> effective_pools(const Policy& policy, Family family) {
  std::vector<PoolSpec> out;
  for (const auto& s : policy.subnets) {
    if (s.prefix.family() != family) continue;
    for (const auto& pool : s.pools) {
      std::vector<net::Range> ranges{pool.range};
      if (family == Family::v4) {
        int length = 32;
        for (net::uint128 size = pool.range.size(); size > 1; size >>= 1) --length;
        net::Prefix as_prefix(pool.range.first, length);
        if (pool.written_as_prefix && is_v4_prefix_with_edges(as_prefix)) {
          punch(ranges, as_prefix.first());
          punch(ranges, as_prefix.last());
        }
        if (is_v4_prefix_with_edges(s.prefix)) {
          punch(ranges, s.prefix.first());
          punch(ranges, s.prefix.last());
        }
      }
      for (const auto& r : ranges) out.push_back(PoolSpec{r, s.id});
    }
  }
  return out;
}

Engine::Engine(Clock& clock, RandomSource& random, ChangeFeed& feed)
    : clock_(clock),
      random_(random),
      feed_(feed),
      mono_origin_(clock.monotonic_seconds() - 1),
      peers_(random.next64()),
      expiry_(peers_) {}

std::uint32_t Engine::now_rel() const {
  return static_cast<std::uint32_t>(clock_.monotonic_seconds() - mono_origin_);
}

Status Engine::configure(Policy policy) {
  // The control API's reservations must still fit the new configuration.
  Policy combined = policy;
  combined.reservations.insert(combined.reservations.end(), runtime_reservations_.begin(), runtime_reservations_.end());
  if (auto st = validate_policy(combined); !st) return st;
  policy_ = std::move(policy);
  index_reservations();
  pools4_.reset(effective_pools(policy_, Family::v4));
  pools6_.reset(effective_pools(policy_, Family::v6));
  // Re-place what is in use: leases, held addresses, then reservations not leased now.
  peers_.for_each([&](std::uint32_t id, const PeerSlot& slot) {
    for (Family f : kFamilies)
      if (slot.binding(f).present()) with_pools(f, [&](auto& p) { p.insert(slot.address(f), id); });
  });
  for (const auto& h : holds_) with_pools(h.address.family(), [&](auto& p) { p.insert(h.address, kHeldMark); });
  for (const auto& entry : reserved_addresses_) {
    const Address& reserved = entry.first;
    with_pools(reserved.family(), [&](auto& p) { p.insert(reserved, kReservedMark); });
  }
  return {};
}

void Engine::index_reservations() {
  reservation_index_.clear();
  reserved_addresses_.clear();
  for (const auto* list : {&policy_.reservations, &runtime_reservations_}) {
    for (const auto& r : *list) {
      reservation_index_[r.key] = r;
      if (r.v4) reserved_addresses_[*r.v4] = r.key;
      if (r.v6) reserved_addresses_[*r.v6] = r.key;
    }
  }
}

const ReservationSpec* Engine::reservation_of(const PublicKey& key) const {
  auto it = reservation_index_.find(key);
  return it == reservation_index_.end() ? nullptr : &it->second;
}

std::optional<PublicKey> Engine::reserved_for(const Address& a) const {
  auto it = reserved_addresses_.find(a);
  if (it == reserved_addresses_.end()) return std::nullopt;
  return it->second;
}

bool Engine::reserved_for_other(const Address& a, const PublicKey& key) const {
  auto owner = reserved_for(a);
  return owner && *owner != key;
}

std::uint32_t Engine::clamp_lifetime(std::optional<std::uint32_t> hint) const {
  if (!hint) return policy_.valid_lifetime;
  return std::clamp(*hint, policy_.min_valid_lifetime, policy_.max_valid_lifetime);
}

std::uint32_t Engine::subnet_of(const Address& a) const {
  auto from_pool = with_pools(a.family(), [&](const auto& p) { return p.pool_subnet(a); });
  if (from_pool) return *from_pool;
  for (const auto& s : policy_.subnets)
    if (s.prefix.contains(a)) return s.id;
  return 0;
}

Engine::Plan Engine::plan_draw(Family f, bool has_current) {
  auto drawn = with_pools(f, [&](auto& p) { return p.draw(random_); });
  if (!drawn) return Plan{Step::fail_exhausted, {}, has_current};
  return Plan{Step::take, *drawn, has_current};
}

Engine::Plan Engine::plan_family(Family f, const LeaseRequest& req, std::optional<std::uint32_t> slot) {
  const FamilyAsk& ask = req.ask(f);
  std::optional<Address> current;
  if (slot && peers_.at(*slot).binding(f).present()) current = peers_.at(*slot).address(f);

  if (ask.intent == Intent::release) return Plan{current ? Step::release : Step::skip, {}, false};

  // A reservation wins over hints, unless another peer still holds the address
  // (then this peer is served dynamically until that lease ends).
  if (const ReservationSpec* r = reservation_of(req.key)) {
    const auto& reserved = f == Family::v4 ? r->v4 : r->v6;
    if (reserved) {
      if (current == reserved) return Plan{Step::renew, {}, false};
      auto holder = with_pools(f, [&](const auto& p) { return p.find(*reserved); });
      if (!holder || *holder == kReservedMark) return Plan{Step::take, *reserved, current.has_value()};
    }
  }

  if (current && draining_.count(*current)) {
    // Draining (its subnet shrank or went away): never renewed. The peer moves to an
    // address of the remaining pools if there is one; otherwise the lease runs out.
    Plan moved = plan_draw(f, true);
    return moved.step == Step::take ? moved : Plan{Step::skip, {}, false};
  }
  bool current_usable = current && !reserved_for_other(*current, req.key);
  if (ask.intent == Intent::hint) {
    if (current_usable && *current == ask.hint) return Plan{Step::renew, {}, false};
    if (req.hint_must_be_held) return Plan{Step::fail_unavailable, {}, false};
    return plan_draw(f, current.has_value());
  }
  if (current_usable) return Plan{Step::renew, {}, false};
  bool served = with_pools(f, [](const auto& p) { return p.has_pools(); });
  if (!served && !current) return Plan{Step::skip, {}, false};
  return plan_draw(f, current.has_value());
}

LeaseReply Engine::request(const LeaseRequest& req) {
  expire_due();  // "valid lease" means valid at this instant, even if a timer is late
  std::optional<std::uint32_t> slot = peers_.find(req.key);
  Plan plans[2] = {plan_family(Family::v4, req, slot), plan_family(Family::v6, req, slot)};

  LeaseReply reply;
  int granted = 0, wanted = 0, releases = 0;
  for (const Plan& p : plans) {
    if (p.step == Step::fail_unavailable) {
      reply.outcome = Outcome::chosen_unavailable;
      return reply;
    }
    granted += p.step == Step::renew || p.step == Step::take;
    wanted += p.step == Step::renew || p.step == Step::take || p.step == Step::fail_exhausted;
    releases += p.step == Step::release;
  }
  if (granted == 0 && (wanted > 0 || releases == 0)) return reply;  // out_of_addresses, no change

  std::uint32_t lifetime = clamp_lifetime(req.lease_seconds);
  std::uint32_t id = slot ? *slot : peers_.find_or_create(req.key);
  for (Family f : kFamilies) {
    const Plan& p = plans[f == Family::v4 ? 0 : 1];
    bool end_current = p.step == Step::release || ((p.step == Step::take || p.step == Step::fail_exhausted) && p.release_old);
    if (end_current) end_binding(id, f, LeaseChange::Kind::release);
    if (p.step == Step::take) take(id, f, p.address, lifetime);
    if (p.step == Step::renew) renew(id, f, lifetime);
    if (p.step == Step::take || p.step == Step::renew) {
      (f == Family::v4 ? reply.v4 : reply.v6) = peers_.at(id).address(f);
      (f == Family::v4 ? reply.v4_subnet : reply.v6_subnet) = peers_.at(id).binding(f).subnet_id;
    }
  }
  release_slot_if_empty(id);
  reply.outcome = granted > 0 ? Outcome::granted : Outcome::released;
  if (granted > 0) {
    reply.lease_start = clock_.wall_seconds();
    reply.lease_seconds = lifetime;
  }
  return reply;
}

// Gives `a` to the slot: marks it in the pools (over a reserved mark, if any), fills the
// binding and schedules its end `remaining` seconds from now.
void Engine::bind(std::uint32_t slot, Family f, const Address& a, std::uint32_t subnet_id, std::int64_t cltt,
                  std::uint32_t lifetime, std::uint32_t remaining) {
  with_pools(f, [&](auto& p) {
    if (!p.insert(a, slot)) p.assign(a, slot);
  });
  PeerSlot& s = peers_.at(slot);
  s.set_address(a);
  Binding& b = s.binding(f);
  b.subnet_id = subnet_id;
  b.cltt = static_cast<std::uint32_t>(cltt);
  b.valid_lifetime = lifetime;
  expiry_.schedule(ExpiryQueue::ref_of(slot, f), now_rel() + remaining);
}

void Engine::take(std::uint32_t slot, Family f, const Address& a, std::uint32_t lifetime) {
  bind(slot, f, a, subnet_of(a), clock_.wall_seconds(), lifetime, lifetime);
  publish(LeaseChange::Kind::grant, record_of(slot, f));
}

void Engine::renew(std::uint32_t slot, Family f, std::uint32_t lifetime) {
  Binding& b = peers_.at(slot).binding(f);
  b.cltt = static_cast<std::uint32_t>(clock_.wall_seconds());
  b.valid_lifetime = lifetime;
  expiry_.schedule(ExpiryQueue::ref_of(slot, f), now_rel() + lifetime);
  publish(LeaseChange::Kind::renew, record_of(slot, f));
}

void Engine::end_binding(std::uint32_t slot, Family f, LeaseChange::Kind kind) {
  PeerSlot& s = peers_.at(slot);
  Address a = s.address(f);
  LeaseRecord ended = record_of(slot, f);
  ended.state = LeaseState::expired_reclaimed;
  // An ended row records when it ended: cltt + valid_lifetime = now (or the expiry).
  std::int64_t now = clock_.wall_seconds();
  if (kind != LeaseChange::Kind::expire && now >= ended.cltt)
    ended.valid_lifetime = static_cast<std::uint32_t>(now - ended.cltt);
  expiry_.cancel(ExpiryQueue::ref_of(slot, f));
  s.binding(f) = Binding{};
  extras_.erase(a);
  draining_.erase(a);
  publish(kind, ended);
  settle_ended_address(ended, now_rel() + policy_.hold_reclaimed_time);
}

// After a binding ends: a reserved address goes back to its owner, others wait out the
// hold time (if any) before they can be drawn again.
void Engine::settle_ended_address(const LeaseRecord& ended, std::uint32_t hold_due) {
  const Address& a = ended.address;
  with_pools(a.family(), [&](auto& p) {
    if (reserved_for(a)) {
      p.assign(a, kReservedMark);
    } else if (policy_.hold_reclaimed_time > 0 && hold_due > now_rel()) {
      if (!p.assign(a, kHeldMark)) p.insert(a, kHeldMark);
      holds_.push_back(Held{hold_due, a});
      return;
    } else {
      p.erase(a);
    }
    // The removal names the peer that held it, so the journal's tombstone says whose it was.
    publish(LeaseChange::Kind::remove, ended);
  });
}

void Engine::end_hold(const Address& a) {
  with_pools(a.family(), [&](auto& p) {
    auto v = p.find(a);
    if (!v || *v != kHeldMark) return;  // re-used or re-reserved meanwhile
    p.erase(a);
    LeaseRecord gone;
    gone.address = a;
    publish(LeaseChange::Kind::remove, gone);
  });
}

void Engine::release_slot_if_empty(std::uint32_t slot) {
  if (peers_.at(slot).empty()) peers_.release(slot);
}

std::size_t Engine::expire_due() {
  std::uint32_t now = now_rel();
  std::size_t n = 0;
  while (auto top = expiry_.top()) {
    if (top->due > now) break;
    std::uint32_t slot = ExpiryQueue::slot_of(top->ref);
    end_binding(slot, ExpiryQueue::family_of(top->ref), LeaseChange::Kind::expire);
    release_slot_if_empty(slot);
    ++n;
  }
  while (!holds_.empty() && holds_.front().due <= now) {
    Address a = holds_.front().address;
    holds_.pop_front();
    end_hold(a);
    ++n;
  }
  return n;
}

std::optional<std::int64_t> Engine::next_deadline() const {
  std::optional<std::uint32_t> due;
  if (auto top = expiry_.top()) due = top->due;
  if (!holds_.empty()) due = due ? std::min(*due, holds_.front().due) : holds_.front().due;
  if (!due) return std::nullopt;
  return mono_origin_ + *due;
}

LeaseRecord Engine::record_of(std::uint32_t slot, Family f) const {
  const PeerSlot& s = peers_.at(slot);
  const Binding& b = s.binding(f);
  LeaseRecord r;
  r.address = s.address(f);
  r.key = s.key;
  r.subnet_id = b.subnet_id;
  r.cltt = b.cltt;
  r.valid_lifetime = b.valid_lifetime;
  r.state = LeaseState::assigned;
  if (auto it = extras_.find(r.address); it != extras_.end()) {
    r.hostname = it->second.hostname;
    r.user_context = it->second.user_context;
  }
  return r;
}

void Engine::publish(LeaseChange::Kind kind, LeaseRecord record) {
  feed_.publish(LeaseChange{kind, std::move(record), clock_.wall_seconds()});
}

void Engine::restore(const LeaseRecord& rec) {
  Family f = rec.address.family();
  std::int64_t now_wall = clock_.wall_seconds();
  std::int64_t remaining = rec.expires_at() - now_wall;
  if (rec.state == LeaseState::assigned && remaining > 0) {
    std::uint32_t slot = peers_.find_or_create(rec.key);
    if (peers_.at(slot).binding(f).present()) {
      // Two live rows of one family for one peer: keep the one that lasts longer.
      if (record_of(slot, f).expires_at() >= rec.expires_at()) {
        LeaseRecord dup = rec;
        dup.state = LeaseState::expired_reclaimed;
        publish(LeaseChange::Kind::release, dup);
        settle_ended_address(dup, now_rel() + policy_.hold_reclaimed_time);
        return;
      }
      end_binding(slot, f, LeaseChange::Kind::release);
    }
    bind(slot, f, rec.address, rec.subnet_id, rec.cltt, rec.valid_lifetime, static_cast<std::uint32_t>(remaining));
    if (!rec.hostname.empty() || !rec.user_context.empty())
      extras_[rec.address] = Extras{rec.hostname, rec.user_context};
    return;
  }
  std::int64_t hold_left = rec.expires_at() + policy_.hold_reclaimed_time - now_wall;
  if (rec.state == LeaseState::assigned) {
    // Expired while the server was down: reclaim it now.
    LeaseRecord ended = rec;
    ended.state = LeaseState::expired_reclaimed;
    publish(LeaseChange::Kind::expire, ended);
  }
  if (hold_left > 0 && !reserved_for(rec.address)) {
    bool placed = with_pools(f, [&](auto& p) { return p.insert(rec.address, kHeldMark); });
    if (placed) holds_.push_back(Held{now_rel() + static_cast<std::uint32_t>(hold_left), rec.address});
    return;
  }
  LeaseRecord gone = rec;
  gone.state = LeaseState::expired_reclaimed;
  publish(LeaseChange::Kind::remove, gone);
}

void Engine::finish_restore() {
  std::stable_sort(holds_.begin(), holds_.end(), [](const Held& a, const Held& b) { return a.due < b.due; });
}

std::optional<LeaseView> Engine::lease_of(const PublicKey& key) const {
  auto slot = peers_.find(key);
  if (!slot) return std::nullopt;
  LeaseView view;
  for (Family f : kFamilies)
    if (peers_.at(*slot).binding(f).present()) (f == Family::v4 ? view.v4 : view.v6) = record_of(*slot, f);
  return view;
}

std::optional<PublicKey> Engine::holder_of(const Address& a) const {
  auto v = with_pools(a.family(), [&](const auto& p) { return p.find(a); });
  if (!v || *v > kMaxSlot) return std::nullopt;
  return peers_.at(*v).key;
}

net::uint128 Engine::free_count(Family f) const {
  return with_pools(f, [](const auto& p) { return p.free_count(); });
}

std::size_t Engine::memory_bytes() const {
  return peers_.memory_bytes() + expiry_.memory_bytes() + pools4_.memory_bytes() + pools6_.memory_bytes() +
         holds_.size() * sizeof(Held);
}

}  // namespace leasehold::lease
