// Engine: the lease rules of the request_ip spec as pure logic. It decides who gets which
// address, keeps the working set in memory and publishes every change on the ChangeFeed;
// it never touches sockets, files or SQL. Time and randomness are injected.
// Single-threaded: every call must come from the same thread (the server's event loop).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/result.h"
#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/expiry_queue.h"
#include "lease/peer_table.h"
#include "lease/pool_set.h"
#include "lease/random_source.h"

namespace leasehold::lease {

// A pool as configured: a range "a-b", or a prefix "a/len" (kept apart because an IPv4
// prefix pool shorter than /31 gives out neither its network nor its broadcast address).
struct PoolDef {
  PoolDef(net::Range r, bool prefix = false) : range(r), written_as_prefix(prefix) {}  // NOLINT: implicit
  static Result<PoolDef> parse(std::string_view text);
  net::Range range;
  bool written_as_prefix = false;
};

struct SubnetSpec {
  std::uint32_t id = 0;
  net::Prefix prefix;
  std::vector<PoolDef> pools;
};

struct ReservationSpec {
  PublicKey key;
  std::optional<net::Address> v4;
  std::optional<net::Address> v6;
};

struct Policy {
  std::uint32_t valid_lifetime = 3600;
  std::uint32_t min_valid_lifetime = 3600;
  std::uint32_t max_valid_lifetime = 3600;
  std::uint32_t hold_reclaimed_time = 0;
  std::vector<SubnetSpec> subnets;  // both families
  std::vector<ReservationSpec> reservations;
};

// Checks a policy for internal consistency; the message names the offending item.
Status validate_policy(const Policy& policy);

// The pool ranges the allocator really uses: IPv4 pools lose the network and broadcast
// address of their subnet, and of the pool itself when written as a prefix shorter than /31.
std::vector<PoolSpec> effective_pools(const Policy& policy, net::Family family);

enum class Intent : std::uint8_t {
  keep_or_any,  // no hint: keep the address held, or draw one
  hint,         // this address if (and only if) the peer holds it
  release,      // give up this family's address (later upstream format)
};

struct FamilyAsk {
  Intent intent = Intent::keep_or_any;
  net::Address hint;
};

struct LeaseRequest {
  PublicKey key;
  FamilyAsk v4;
  FamilyAsk v6;
  std::optional<std::uint32_t> lease_seconds;  // client's leasetime hint
  // Upstream format: a hint the peer does not hold is an error ("chosen IP unavailable")
  // instead of being replaced by a random address.
  bool hint_must_be_held = false;

  const FamilyAsk& ask(net::Family f) const { return f == net::Family::v4 ? v4 : v6; }
};

enum class Outcome : std::uint8_t {
  granted,             // at least one address granted (errno 0)
  released,            // nothing asked, something released (upstream release)
  out_of_addresses,    // no family could be granted; nothing changed
  chosen_unavailable,  // upstream: a specific address the peer does not hold; nothing changed
};

struct LeaseReply {
  Outcome outcome = Outcome::out_of_addresses;
  std::optional<net::Address> v4;
  std::optional<net::Address> v6;
  std::int64_t lease_start = 0;     // wall seconds
  std::uint32_t lease_seconds = 0;
  std::uint32_t v4_subnet = 0;      // subnet ids of v4 / v6 when granted (0: none)
  std::uint32_t v6_subnet = 0;
};

// A lease as the control API adds or rewrites it (lease4-add, lease6-update, ...).
struct AdminLease {
  net::Address address;
  PublicKey key;
  std::optional<std::uint32_t> subnet_id;       // checked against the address when given
  std::optional<std::uint32_t> valid_lifetime;  // default: the policy's valid-lifetime
  std::optional<std::int64_t> cltt;             // wall seconds; default: now
  std::optional<std::int64_t> expire;           // Kea's alternative: cltt = expire - lifetime
  std::string hostname;                         // already checked and lower-cased
  std::string user_context;                     // JSON text or empty
};

// What a peer holds now, for inspection (control API, tests).
struct LeaseView {
  std::optional<LeaseRecord> v4;
  std::optional<LeaseRecord> v6;
};

class Engine {
 public:
  Engine(Clock& clock, RandomSource& random, ChangeFeed& feed);

  // Installs a policy (at start and on reload). Leases already held are kept, even if
  // their address has left every pool; they end at expiry.
  Status configure(Policy policy);
  const Policy& policy() const { return policy_; }

  // Start-up: feeds one stored row. Expired rows are reclaimed (published as changes).
  // REQUIRES: configure() was called. Call finish_restore() after the last row.
  void restore(const LeaseRecord& record);
  void finish_restore();

  LeaseReply request(const LeaseRequest& request);

  // Ends every binding and hold whose time has come. Returns how many ended.
  std::size_t expire_due();
  // Monotonic second (Clock::monotonic_seconds scale) of the next expiry or hold end.
  std::optional<std::int64_t> next_deadline() const;

  std::optional<LeaseView> lease_of(const PublicKey& key) const;

  // Administrative changes (engine_admin.cc). Each checks what the control API spec asks
  // (subnet exists and holds the address, not reserved for another peer, no duplicate)
  // and changes nothing when it fails; a success is published like a protocol change.
  // Errors: invalid_argument (bad input), conflict (collides with a lease or reservation),
  // not_found (no such lease). Messages are the control API's answer texts.
  Result<LeaseRecord> add_lease(const AdminLease& lease);
  Result<LeaseRecord> update_lease(const AdminLease& lease);
  // Ends the lease at `a`. release: as if the peer released it (hold-reclaimed-time
  // applies); otherwise the row is deleted and the address is free at once.
  Result<LeaseRecord> remove_lease(const net::Address& a, bool as_release);
  // Marks a lease as draining: it is never renewed and ends at its expiry (or when its
  // peer moves to another address). False if there is no lease at `a`.
  bool drain(const net::Address& a);
  bool draining(const net::Address& a) const { return draining_.count(a) > 0; }
  // Removes every lease of the family (in one subnet when given); returns how many.
  std::size_t wipe(net::Family f, std::optional<std::uint32_t> subnet_id);

  std::optional<LeaseRecord> lease_at(const net::Address& a) const;
  // Calls f(record) for each live lease of the family with address >= from, in address
  // order, until f returns false.
  template <class F>
  void for_each_lease_from(const net::Address& from, F&& f) const {
    with_pools(from.family(), [&](const auto& pools) {
      pools.for_each_from(from, [&](const net::Address& a, std::uint32_t value) {
        if (value > kMaxSlot) return true;  // reserved or held back: no lease
        return static_cast<bool>(f(record_of(value, a.family())));
      });
    });
  }
  // Reservations added at run time (control API), on top of the policy's; configure()
  // keeps them and refuses a policy they would collide with. Errors: conflict (key or
  // address already reserved; removing one of the configuration's), invalid_argument,
  // not_found.
  Status add_reservation(const ReservationSpec& reservation);
  Status remove_reservation(const PublicKey& key);
  const ReservationSpec* reservation_for(const PublicKey& key) const { return reservation_of(key); }

  // The configured subnet with this id, or the one holding `a`.
  const SubnetSpec* subnet_by_id(net::Family f, std::uint32_t id) const;
  const SubnetSpec* subnet_holding(const net::Address& a) const;
  // Addresses the allocator may give out in a subnet (its pools, minus the IPv4 edges).
  net::uint128 pool_size(net::Family f, std::uint32_t subnet_id) const;
  // Calls f(key, address) for every address held now (assigned, not expired or held back).
  template <class F>
  void for_each_binding(F&& f) const {
    peers_.for_each([&](std::uint32_t, const PeerSlot& slot) {
      for (net::Family fam : {net::Family::v4, net::Family::v6})
        if (slot.binding(fam).present()) f(slot.key, slot.address(fam));
    });
  }
  std::optional<PublicKey> holder_of(const net::Address& address) const;
  std::size_t peer_count() const { return peers_.size(); }
  std::size_t binding_count() const { return expiry_.size(); }
  std::size_t held_count() const { return holds_.size(); }
  net::uint128 free_count(net::Family f) const;
  std::size_t memory_bytes() const;

 private:
  enum class Step : std::uint8_t { skip, release, renew, take, fail_exhausted, fail_unavailable };
  struct Plan {
    Step step = Step::skip;
    net::Address address;      // for take
    bool release_old = false;  // take / fail_exhausted: end the current binding first
  };
  struct Held {
    std::uint32_t due;
    net::Address address;
  };
  struct Extras {
    std::string hostname;
    std::string user_context;
  };

  Result<std::uint32_t> check_admin_subnet(const AdminLease& lease) const;
  std::int64_t cltt_of(const AdminLease& lease) const;
  Status check_admin_address(const AdminLease& lease, std::optional<std::uint32_t> slot) const;
  void bind_admin(const AdminLease& lease, std::uint32_t subnet_id, LeaseChange::Kind kind);
  Plan plan_family(net::Family f, const LeaseRequest& req, std::optional<std::uint32_t> slot);
  Plan plan_draw(net::Family f, bool has_current);
  void bind(std::uint32_t slot, net::Family f, const net::Address& a, std::uint32_t subnet_id, std::int64_t cltt,
            std::uint32_t lifetime, std::uint32_t remaining);
  void take(std::uint32_t slot, net::Family f, const net::Address& a, std::uint32_t lifetime);
  void renew(std::uint32_t slot, net::Family f, std::uint32_t lifetime);
  void end_binding(std::uint32_t slot, net::Family f, LeaseChange::Kind kind);
  void settle_ended_address(const LeaseRecord& ended, std::uint32_t hold_due);
  void end_hold(const net::Address& a);
  void release_slot_if_empty(std::uint32_t slot);

  LeaseRecord record_of(std::uint32_t slot, net::Family f) const;
  void publish(LeaseChange::Kind kind, LeaseRecord record);
  std::uint32_t subnet_of(const net::Address& a) const;
  const ReservationSpec* reservation_of(const PublicKey& key) const;
  std::optional<PublicKey> reserved_for(const net::Address& a) const;
  bool reserved_for_other(const net::Address& a, const PublicKey& key) const;
  std::uint32_t now_rel() const;
  std::uint32_t clamp_lifetime(std::optional<std::uint32_t> hint) const;

  template <class F>
  decltype(auto) with_pools(net::Family f, F&& fn) {
    return f == net::Family::v4 ? fn(pools4_) : fn(pools6_);
  }
  template <class F>
  decltype(auto) with_pools(net::Family f, F&& fn) const {
    return f == net::Family::v4 ? fn(pools4_) : fn(pools6_);
  }

  Clock& clock_;
  RandomSource& random_;
  ChangeFeed& feed_;
  std::int64_t mono_origin_;
  Policy policy_;
  PeerTable peers_;
  ExpiryQueue expiry_;
  PoolSet<std::uint32_t> pools4_{net::Family::v4};
  PoolSet<net::uint128> pools6_{net::Family::v6};
  std::deque<Held> holds_;
  void index_reservations();
  std::vector<ReservationSpec> runtime_reservations_;
  std::map<PublicKey, ReservationSpec> reservation_index_;  // configured and runtime, by key
  std::map<net::Address, PublicKey> reserved_addresses_;
  std::map<net::Address, Extras> extras_;  // hostname / user-context, only where set
  std::set<net::Address> draining_;        // leases not to be renewed (subnet-del/-update "drain")
};

}  // namespace leasehold::lease
