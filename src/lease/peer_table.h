// PeerTable: the peers that hold a lease now, one compact slot each, found by public key.
// Slots live in one vector (ids are stable while the peer holds anything) and the key
// index is an open-addressing table of slot ids, so a lease costs about 100 bytes here.
// Single-threaded: owned by the engine.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "lease/public_key.h"
#include "net/address.h"

namespace leasehold::lease {

inline constexpr std::uint32_t kNoHeapPos = 0xffffffffu;

// One address held by a peer. Times are 32-bit: wall seconds (until 2106) and the
// engine's monotonic seconds.
struct Binding {
  std::uint32_t subnet_id = 0;
  std::uint32_t cltt = 0;             // wall-clock seconds when granted or renewed
  std::uint32_t valid_lifetime = 0;   // seconds
  std::uint32_t heap_pos = kNoHeapPos;  // position in the expiry queue; kNoHeapPos = none
  bool present() const { return heap_pos != kNoHeapPos; }
};

struct PeerSlot {
  PublicKey key;
  std::array<std::uint8_t, 16> addr6{};
  std::uint32_t addr4 = 0;
  Binding v4;
  Binding v6;

  Binding& binding(net::Family f) { return f == net::Family::v4 ? v4 : v6; }
  const Binding& binding(net::Family f) const { return f == net::Family::v4 ? v4 : v6; }
  net::Address address(net::Family f) const {
    return f == net::Family::v4 ? net::Address::v4(addr4) : net::Address::v6_bytes(addr6);
  }
  void set_address(const net::Address& a) {
    if (a.is_v4()) addr4 = a.v4_value();
    else addr6 = a.v6_bytes();
  }
  bool empty() const { return !v4.present() && !v6.present(); }
};

class PeerTable {
 public:
  explicit PeerTable(std::uint64_t hash_seed);

  std::optional<std::uint32_t> find(const PublicKey& key) const;
  // The slot for `key`, created empty if absent.
  std::uint32_t find_or_create(const PublicKey& key);
  // Frees the slot. REQUIRES: the slot holds no binding.
  void release(std::uint32_t id);

  PeerSlot& at(std::uint32_t id) { return slots_[id]; }
  const PeerSlot& at(std::uint32_t id) const { return slots_[id]; }
  std::size_t size() const { return count_; }
  std::size_t memory_bytes() const;

  // Visits every live slot: f(id, slot).
  template <class F>
  void for_each(F&& f) const {
    for (std::uint32_t id = 0; id < slots_.size(); ++id)
      if (live_[id]) f(id, slots_[id]);
  }

 private:
  std::uint64_t hash(const PublicKey& key) const;
  std::size_t probe_start(const PublicKey& key) const { return hash(key) & (index_.size() - 1); }
  void grow_index();
  void index_insert(std::uint32_t id);

  std::uint64_t seed_;
  std::vector<PeerSlot> slots_;
  std::vector<bool> live_;
  std::vector<std::uint32_t> free_ids_;
  std::vector<std::uint32_t> index_;  // slot id + 1; 0 = empty. Size is a power of two.
  std::size_t count_ = 0;
};

}  // namespace leasehold::lease
