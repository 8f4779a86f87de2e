// PoolSet: the addresses of one family that the engine may hand out, and which of them
// are taken. Each pool is a range with an order-statistic index of its used offsets, so
// a uniformly random free address is found in O(log n) however full the pool is.
// Addresses outside every pool (reservations, administrative leases) live in a side map.
// Single-threaded: owned by the engine.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "lease/order_stat_tree.h"
#include "lease/random_source.h"
#include "net/address.h"

namespace leasehold::lease {

// Values stored per used address: a peer slot id, or one of these markers.
inline constexpr std::uint32_t kReservedMark = 0xffffffffu;  // reserved, not leased now
inline constexpr std::uint32_t kHeldMark = 0xfffffffeu;      // ended, waiting hold-reclaimed-time
inline constexpr std::uint32_t kMaxSlot = 0xfffffff0u;

struct PoolSpec {
  net::Range range;
  std::uint32_t subnet_id = 0;
};

template <class Key>
class PoolSet {
 public:
  explicit PoolSet(net::Family family) : family_(family) {}

  // REQUIRES: specs are of this set's family and do not overlap.
  void reset(std::vector<PoolSpec> specs) {
    std::sort(specs.begin(), specs.end(),
              [](const PoolSpec& a, const PoolSpec& b) { return a.range.first < b.range.first; });
    pools_.clear();
    outside_.clear();
    for (auto& s : specs) pools_.push_back(Pool{s, OrderStatTree<Key>{}});
  }

  net::Family family() const { return family_; }
  bool has_pools() const { return !pools_.empty(); }

  net::uint128 free_count() const {
    net::uint128 n = 0;
    for (const auto& p : pools_) n += p.spec.range.size() - p.used.size();
    return n;
  }
  net::uint128 total_count() const {
    net::uint128 n = 0;
    for (const auto& p : pools_) n += p.spec.range.size();
    return n;
  }

  // A uniformly random free address, or nullopt when every pool is full.
  std::optional<net::Address> draw(RandomSource& random) const {
    net::uint128 free = free_count();
    if (free == 0) return std::nullopt;
    net::uint128 r = random.below(free);
    for (const auto& p : pools_) {
      net::uint128 pool_free = p.spec.range.size() - p.used.size();
      if (r < pool_free) {
        Key offset = p.used.nth_absent(static_cast<Key>(r));
        return address_at(p, offset);
      }
      r -= pool_free;
    }
    return std::nullopt;  // unreachable while counts are consistent
  }

  // Marks `a` used with `value`. False if it already is.
  bool insert(const net::Address& a, std::uint32_t value) {
    if (Pool* p = pool_of(a)) return p->used.insert(offset_in(*p, a), value);
    return outside_.emplace(a.value(), value).second;
  }
  bool erase(const net::Address& a) {
    if (Pool* p = pool_of(a)) return p->used.erase(offset_in(*p, a));
    return outside_.erase(a.value()) > 0;
  }
  bool assign(const net::Address& a, std::uint32_t value) {
    if (Pool* p = pool_of(a)) return p->used.assign(offset_in(*p, a), value);
    auto it = outside_.find(a.value());
    if (it == outside_.end()) return false;
    it->second = value;
    return true;
  }
  std::optional<std::uint32_t> find(const net::Address& a) const {
    if (const Pool* p = pool_of(a)) return p->used.find(offset_in(*p, a));
    auto it = outside_.find(a.value());
    if (it == outside_.end()) return std::nullopt;
    return it->second;
  }
  // Subnet of the pool holding `a`, if any.
  std::optional<std::uint32_t> pool_subnet(const net::Address& a) const {
    const Pool* p = pool_of(a);
    if (!p) return std::nullopt;
    return p->spec.subnet_id;
  }

  // Calls f(address, value) for each used address >= from in address order (pools and the
  // side map merged) until f returns false.
  template <class F>
  void for_each_from(const net::Address& from, F&& f) const {
    auto side = outside_.lower_bound(from.value());
    auto emit_side_below = [&](const net::Address* limit) {
      for (; side != outside_.end() && (!limit || side->first < limit->value()); ++side)
        if (!f(as_address(side->first), side->second)) return false;
      return true;
    };
    for (const Pool& p : pools_) {
      if (p.spec.range.last < from) continue;
      if (!emit_side_below(&p.spec.range.first)) return;
      Key start = from < p.spec.range.first ? Key{0} : offset_in(p, from);
      bool go_on = true;
      p.used.for_each_from(start, [&](Key offset, std::uint32_t value) {
        go_on = f(address_at(p, offset), value);
        return go_on;
      });
      if (!go_on) return;
    }
    emit_side_below(nullptr);
  }

  std::size_t memory_bytes() const {
    std::size_t n = pools_.capacity() * sizeof(Pool) + outside_.size() * 64;
    for (const auto& p : pools_) n += p.used.memory_bytes();
    return n;
  }

 private:
  struct Pool {
    PoolSpec spec;
    OrderStatTree<Key> used;
  };

  net::Address as_address(net::uint128 v) const {
    return family_ == net::Family::v4 ? net::Address::v4(static_cast<std::uint32_t>(v)) : net::Address::v6(v);
  }
  net::Address address_at(const Pool& p, Key offset) const {
    net::uint128 v = p.spec.range.first.value() + offset;
    return family_ == net::Family::v4 ? net::Address::v4(static_cast<std::uint32_t>(v))
                                      : net::Address::v6(v);
  }
  static Key offset_in(const Pool& p, const net::Address& a) {
    return static_cast<Key>(a.value() - p.spec.range.first.value());
  }
  const Pool* pool_of(const net::Address& a) const {
    if (a.family() != family_) return nullptr;
    auto it = std::upper_bound(pools_.begin(), pools_.end(), a,
                               [](const net::Address& x, const Pool& p) { return x < p.spec.range.first; });
    if (it == pools_.begin()) return nullptr;
    --it;
    return it->spec.range.contains(a) ? &*it : nullptr;
  }
  Pool* pool_of(const net::Address& a) {
    return const_cast<Pool*>(static_cast<const PoolSet*>(this)->pool_of(a));
  }

  net::Family family_;
  std::vector<Pool> pools_;
  std::map<net::uint128, std::uint32_t> outside_;
};

}  // namespace leasehold::lease
