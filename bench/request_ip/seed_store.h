// Builds a lease database for the restart and memory measurements without the server:
// peer i (key peer_key(i)) holds one IPv4 and one IPv6 lease, written through lh_store in
// batches. Owns nothing after it returns. Single-threaded.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "net/address.h"

namespace leasehold::bench {

struct SeededPeer {
  net::Address v4;  // in 10.0.0.0/8
  net::Address v6;  // in fd00:47::/64
};

// Creates the sqlite store at db_path (which must not exist yet) with peers 0..peers-1 and
// returns the addresses given to peer `probe`.
// REQUIRES: probe < peers < 2^24 - 2 (the IPv4 pool size).
Result<SeededPeer> seed_store(const std::string& db_path, std::uint64_t peers, std::uint64_t probe);

}  // namespace leasehold::bench
