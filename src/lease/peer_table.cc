#include "lease/peer_table.h"

#include <cassert>
#include <cstring>

namespace leasehold::lease {

namespace {
std::uint64_t mix(std::uint64_t x) {
  // A 64-bit finaliser (xor-shift-multiply): spreads every input bit over the output.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}
}  // namespace

PeerTable::PeerTable(std::uint64_t hash_seed) : seed_(hash_seed), index_(16, 0) {}

std::uint64_t PeerTable::hash(const PublicKey& key) const {
  // Keyed by a per-process seed so that peers choosing their keys cannot aim at one bucket.
  std::uint64_t h = seed_;
  for (std::size_t i = 0; i < PublicKey::kSize; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, key.bytes().data() + i, 8);
    h = mix(h ^ word);
  }
  return h;
}

std::optional<std::uint32_t> PeerTable::find(const PublicKey& key) const {
  std::size_t mask = index_.size() - 1;
  for (std::size_t i = probe_start(key);; i = (i + 1) & mask) {
    std::uint32_t v = index_[i];
    if (v == 0) return std::nullopt;
    if (slots_[v - 1].key == key) return v - 1;
  }
}

std::uint32_t PeerTable::find_or_create(const PublicKey& key) {
  if (auto id = find(key)) return *id;
  std::uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    slots_[id] = PeerSlot{};
    live_[id] = true;
  } else {
    id = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    live_.push_back(true);
  }
  slots_[id].key = key;
  ++count_;
  if ((count_ + 1) * 4 > index_.size() * 3) grow_index();  // keep load <= 3/4
  index_insert(id);
  return id;
}

void PeerTable::index_insert(std::uint32_t id) {
  std::size_t mask = index_.size() - 1;
  std::size_t i = probe_start(slots_[id].key);
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = id + 1;
}

void PeerTable::grow_index() {
  std::vector<std::uint32_t> old;
  old.swap(index_);
  index_.assign(old.size() * 2, 0);
  for (std::uint32_t v : old)
    if (v != 0) index_insert(v - 1);
}

void PeerTable::release(std::uint32_t id) {
  assert(live_[id] && slots_[id].empty());
  // Backward-shift deletion keeps linear probing correct without tombstones.
  std::size_t mask = index_.size() - 1;
  std::size_t i = probe_start(slots_[id].key);
  while (index_[i] != id + 1) i = (i + 1) & mask;
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
    std::size_t home = probe_start(slots_[index_[j] - 1].key);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_between) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = 0;
  live_[id] = false;
  free_ids_.push_back(id);
  --count_;
}

std::size_t PeerTable::memory_bytes() const {
  return slots_.capacity() * sizeof(PeerSlot) + live_.capacity() / 8 +
         free_ids_.capacity() * sizeof(std::uint32_t) + index_.capacity() * sizeof(std::uint32_t);
}

}  // namespace leasehold::lease
