// The client's view of a lease: its addresses, and the lease as remembered across restarts.
// Plain values; see lease_keeper.h for what the client does with them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/address.h"

namespace leasehold::client {

// At most one address per family, as the spec's "single lease" has it.
struct LeaseAddresses {
  std::optional<net::Address> ipv4;
  std::optional<net::Address> ipv6;

  bool empty() const { return !ipv4 && !ipv6; }
  std::vector<net::Address> list() const;  // IPv4 first
  bool contains(const net::Address& address) const;
  // "ipv4 10.0.0.5 ipv6 -": the form the log lines use, "-" for a missing family.
  std::string describe() const;
  friend bool operator==(const LeaseAddresses&, const LeaseAddresses&) = default;
};

// A lease as the state file keeps it: wall-clock times, since monotonic ones end with a boot.
struct StoredLease {
  LeaseAddresses addresses;
  std::int64_t leasestart = 0;  // seconds since the epoch, as the client reckoned it
  std::uint32_t leasetime_seconds = 0;
  friend bool operator==(const StoredLease&, const StoredLease&) = default;
};

// Host prefix length of the address's family: 32 or 128.
inline int host_length(const net::Address& address) { return net::family_bits(address.family()); }

}  // namespace leasehold::client
