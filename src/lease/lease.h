// The lease model shared by the engine, the stores and the change feed.
// A Binding is one address held by one peer; a peer holds at most one IPv4 and one IPv6
// binding. LeaseState follows Kea's numbering so store rows read the same way.
#pragma once

#include <cstdint>
#include <string>

#include "lease/public_key.h"
#include "net/address.h"

namespace leasehold::lease {

enum class LeaseState : std::uint8_t {
  assigned = 0,           // Kea "default": the peer holds it
  declined = 1,           // reserved for later DHCP front ends; unused by the engine
  expired_reclaimed = 2,  // ended (expired or released); held back until hold-reclaimed-time
};

// One stored lease row: what every LeaseStore keeps, keyed by address.
struct LeaseRecord {
  net::Address address;
  PublicKey key;
  std::uint32_t subnet_id = 0;
  std::int64_t cltt = 0;              // wall-clock seconds: when the lease was last granted
  std::uint32_t valid_lifetime = 0;   // seconds from cltt
  LeaseState state = LeaseState::assigned;
  std::string hostname;               // optional, set through the control API
  std::string user_context;           // optional JSON text, set through the control API

  std::int64_t expires_at() const { return cltt + valid_lifetime; }
  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// One change to the lease table, in the order the engine made it. Stores apply these in
// batches; the same stream feeds WireGuard, leasequery and statistics.
struct LeaseChange {
  enum class Kind : std::uint8_t {
    grant,    // new binding (record.state == assigned)
    renew,    // same address, new cltt / lifetime
    release,  // peer gave it up or the engine moved it away (state expired_reclaimed)
    expire,   // lifetime ran out (state expired_reclaimed)
    remove,   // row deleted: hold time over, or administrative removal
  };
  Kind kind;
  LeaseRecord record;
  std::int64_t at = 0;  // wall seconds when the engine made the change: the journal's time
};

const char* change_kind_name(LeaseChange::Kind kind);

}  // namespace leasehold::lease
