#include "seed_store.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <utility>
#include <vector>

#include "lease/lease.h"
#include "peers.h"
#include "store/lease_store.h"

namespace leasehold::bench {
namespace {

constexpr std::size_t kBatchPeers = 5'000;  // two rows each: 10k changes per transaction
constexpr std::uint32_t kV4Base = 0x0A000000;  // 10.0.0.0
constexpr net::uint128 kV6Base = static_cast<net::uint128>(0xFD000047) << 96;  // fd00:47::
constexpr std::uint32_t kSubnetId = 1;
constexpr std::uint32_t kValidLifetime = 86400;

lease::LeaseChange grant(net::Address address, const lease::PublicKey& key, std::int64_t now) {
  lease::LeaseRecord record;
  record.address = address;
  record.key = key;
  record.subnet_id = kSubnetId;
  record.cltt = now;
  record.valid_lifetime = kValidLifetime;
  record.state = lease::LeaseState::assigned;
  return lease::LeaseChange{lease::LeaseChange::Kind::grant, std::move(record)};
}

SeededPeer addresses_of_rank(std::uint64_t rank) {
  return {net::Address::v4(kV4Base + 1 + static_cast<std::uint32_t>(rank)),
          net::Address::v6(kV6Base + 1 + rank)};
}

}  // namespace

Result<SeededPeer> seed_store(const std::string& db_path, std::uint64_t peers, std::uint64_t probe) {
  if (peers >= (1u << 24) - 2 || probe >= peers)
    return make_error(Errc::invalid_argument,
                      "lease count is not between 1 and 16777213: " + std::to_string(peers));
  if (std::filesystem::exists(db_path))
    return make_error(Errc::conflict, "seed database already exists: " + db_path);
  auto store = store::open_store(store::StoreConfig{"sqlite", db_path});
  if (!store) return store.error();

  // Peers go in key order and take addresses in that order too, so that both the address
  // and the key index only ever grow at the end: random inserts into a 1M-row index are
  // many times slower, and the order does not matter to the server that loads them.
  std::vector<std::pair<lease::PublicKey, std::uint64_t>> by_key;
  by_key.reserve(peers);
  for (std::uint64_t i = 0; i < peers; ++i) by_key.emplace_back(peer_key(i), i);
  std::sort(by_key.begin(), by_key.end());

  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<lease::LeaseChange> batch;
  batch.reserve(2 * kBatchPeers);
  SeededPeer probe_addresses;
  for (std::uint64_t rank = 0; rank < peers;) {
    batch.clear();
    for (std::size_t n = 0; n < kBatchPeers && rank < peers; ++n, ++rank) {
      SeededPeer a = addresses_of_rank(rank);
      if (by_key[rank].second == probe) probe_addresses = a;
      batch.push_back(grant(a.v4, by_key[rank].first, now));
      batch.push_back(grant(a.v6, by_key[rank].first, now));
    }
    Status s = (*store)->apply(batch);
    if (!s) return make_error(s.error().code, "seeding " + db_path + ": " + s.error().message);
  }
  return probe_addresses;
}

}  // namespace leasehold::bench
