// ExpiryQueue: when does each binding end? An indexed binary min-heap keyed by
// monotonic deadline; each binding records its heap position so a renewal moves its
// entry in O(log n) and nothing is ever scanned. Single-threaded: owned by the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lease/peer_table.h"

namespace leasehold::lease {

class ExpiryQueue {
 public:
  struct Entry {
    std::uint32_t due;  // engine monotonic seconds
    std::uint32_t ref;  // slot id << 1 | (1 for IPv6)
  };

  explicit ExpiryQueue(PeerTable& peers) : peers_(peers) {}

  static std::uint32_t ref_of(std::uint32_t slot, net::Family f) {
    return slot << 1 | (f == net::Family::v6 ? 1u : 0u);
  }
  static std::uint32_t slot_of(std::uint32_t ref) { return ref >> 1; }
  static net::Family family_of(std::uint32_t ref) { return ref & 1 ? net::Family::v6 : net::Family::v4; }

  // Schedules (or reschedules) the binding `ref` at `due`.
  void schedule(std::uint32_t ref, std::uint32_t due);
  // Removes the binding's entry. REQUIRES: it is scheduled.
  void cancel(std::uint32_t ref);
  std::optional<Entry> top() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front();
  }
  std::size_t size() const { return heap_.size(); }
  std::size_t memory_bytes() const { return heap_.capacity() * sizeof(Entry); }

 private:
  std::uint32_t& pos(std::uint32_t ref) {
    return peers_.at(slot_of(ref)).binding(family_of(ref)).heap_pos;
  }
  void place(std::size_t i, Entry e) {
    heap_[i] = e;
    pos(e.ref) = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);

  PeerTable& peers_;
  std::vector<Entry> heap_;
};

}  // namespace leasehold::lease
