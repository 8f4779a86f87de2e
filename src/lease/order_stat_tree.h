// OrderStatTree: the ordered index behind the address allocator. Maps pool offsets (Key) to
// 32-bit slot ids and answers "which is the r-th offset NOT present" in O(log n), so a pool
// can draw a uniformly random free address. Owns only the index, not leases or pools.
// Not thread-safe: a plain container; the owning pool serializes access.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "net/address.h"

namespace leasehold::lease {

// A B+ tree. Inner nodes keep, per child, the child's smallest key and its number of keys;
// that is enough to count present keys below any key, and so absent ones, on the way down.
// A full node first shares with a neighbour, and two full nodes become three, which keeps
// random-order fill near 85%; appends past either end split unevenly, so ascending or
// descending loads fill nodes completely. Erase merges or evens out small nodes, so memory
// stays proportional to size(). kNodeBytes sets the node size; tests shrink it to get deep
// trees from few keys.
template <class Key, std::size_t kNodeBytes = 1024>
class OrderStatTree {
  static_assert(std::is_same_v<Key, std::uint32_t> || std::is_same_v<Key, std::uint64_t> ||
                    std::is_same_v<Key, net::uint128>,
                "OrderStatTree keys are std::uint32_t, std::uint64_t or net::uint128");

 public:
  OrderStatTree() = default;
  ~OrderStatTree() { clear(); }
  OrderStatTree(const OrderStatTree&) = delete;
  OrderStatTree& operator=(const OrderStatTree&) = delete;
  OrderStatTree(OrderStatTree&& other) noexcept { take_from(other); }
  OrderStatTree& operator=(OrderStatTree&& other) noexcept {
    if (this != &other) {
      clear();
      take_from(other);
    }
    return *this;
  }

  // Returns false, changing nothing, if `key` is present. If std::bad_alloc escapes, the
  // tree is unchanged.
  bool insert(Key key, std::uint32_t value) {
    if (root_ == nullptr) {
      root_ = new Leaf;
      ++leaf_count_;
    }
    Spares spares;
    const Outcome out = insert_below(root_, height_, Item{key, value}, 0, spares);
    if (!out.inserted) return false;
    ++size_;
    if (out.overflow) {  // the root itself was full: grow a level
      Inner* root = spares.template take<Inner>();
      put(*root, 0, entry_for(root_, height_));
      adopt(root);
      root_ = root;
      ++height_;
      const std::optional<Child> extra = height_ == 1 ? place<Leaf>(*root, 0, out.item, spares)
                                                      : place<Inner>(*root, 0, out.child, spares);
      if (extra) put(*root, lower_pos(*root, extra->key), *extra);
    }
    return true;
  }

  bool erase(Key key) {  // false if absent
    if (root_ == nullptr || !erase_below(root_, height_, key)) return false;
    if (--size_ == 0) {
      clear();
      return true;
    }
    while (height_ > 0 && static_cast<Inner*>(root_)->count == 1) {
      Inner* old = static_cast<Inner*>(root_);
      root_ = old->nodes[0];
      --height_;
      release(old);
    }
    return true;
  }

  std::optional<std::uint32_t> find(Key key) const {
    std::uint32_t* value = locate(key);
    return value != nullptr ? std::optional<std::uint32_t>(*value) : std::nullopt;
  }
  bool assign(Key key, std::uint32_t value) {  // false if absent
    std::uint32_t* slot = locate(key);
    if (slot != nullptr) *slot = value;
    return slot != nullptr;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() noexcept {
    if (root_ != nullptr) free_subtree(root_, height_);
    root_ = nullptr;
    height_ = 0;
    size_ = leaf_count_ = inner_count_ = 0;
  }

  // The rank-th (0-based) key that is not present, counting up from key 0.
  // REQUIRES: rank < (number of values of Key) - size(), so that the answer exists.
  //
  // Below the first key u of a subtree with c present keys before it, u - c keys are absent.
  // Descend into the last child where that is <= rank; in the leaf, every key k with
  // k - (present keys below k) <= rank lies below the answer: rank plus their number.
  Key nth_absent(Key rank) const {
    if (root_ == nullptr) return rank;
    const void* node = root_;
    std::uint64_t before = 0;
    for (int level = height_; level > 0; --level) {
      const Inner& n = *static_cast<const Inner*>(node);
      prefetch(n.keys.data(), n.count);
      prefetch(n.sizes.data(), n.count);
      int pick = 0;
      std::uint64_t pick_before = before;
      for (int i = 0; i < n.count && n.keys[i] - static_cast<Key>(before) <= rank; ++i) {
        pick = i;
        pick_before = before;
        before += n.sizes[i];
      }
      node = n.nodes[pick];
      before = pick_before;
    }
    const Leaf& leaf = *static_cast<const Leaf*>(node);
    prefetch(leaf.keys.data(), leaf.count);
    // Binary search for the first j whose key has more than `rank` absent keys below it.
    // (Written out: clang 14 cannot use std::ranges over iota_view with libstdc++ 12.)
    int lo = 0, hi = leaf.count;
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      if (leaf.keys[mid] - static_cast<Key>(before + static_cast<std::uint64_t>(mid)) <= rank) lo = mid + 1;
      else hi = mid;
    }
    return rank + static_cast<Key>(before + static_cast<std::uint64_t>(lo));
  }

  std::size_t count_less(Key key) const {  // present keys < key
    if (root_ == nullptr) return 0;
    const void* node = root_;
    std::uint64_t before = 0;
    for (int level = height_; level > 0; --level) {
      const Inner& n = *static_cast<const Inner*>(node);
      const int i = route(n, key);
      for (int j = 0; j < i; ++j) before += n.sizes[j];
      node = n.nodes[i];
    }
    return static_cast<std::size_t>(before) + lower_pos(*static_cast<const Leaf*>(node), key);
  }

  // Calls f(key, value) in key order for every entry with key >= from, until f returns
  // false (f may also return void). f must not modify the tree.
  template <class F>
  void for_each_from(Key from, F&& f) const {
    if (root_ != nullptr) visit_from(root_, height_, from, f);
  }

  // Bytes of node storage, excluding the allocator's own per-block overhead.
  std::size_t memory_bytes() const {
    return leaf_count_ * sizeof(Leaf) + inner_count_ * sizeof(Inner);
  }

  // Verifies key order, per-child minima and counts, and the node tally; for tests.
  bool check_invariants() const {
    if (root_ == nullptr) return size_ == 0 && leaf_count_ == 0 && inner_count_ == 0;
    std::size_t seen = 0;
    bool ascending = true;
    std::optional<Key> previous;
    for_each_from(Key{0}, [&](Key key, std::uint32_t) {
      ascending = ascending && (!previous || *previous < key);
      previous = key;
      ++seen;
    });
    std::size_t leaves = 0;
    std::size_t inners = 0;
    return ascending && seen == size_ && check_subtree(root_, height_, leaves, inners) == size_ &&
           leaves == leaf_count_ && inners == inner_count_;
  }

 private:
  static constexpr int kLeafCapacity =
      static_cast<int>((kNodeBytes - sizeof(int)) / (sizeof(Key) + sizeof(std::uint32_t)));
  static constexpr int kInnerCapacity = static_cast<int>(
      (kNodeBytes - sizeof(int)) / (sizeof(Key) + sizeof(std::uint64_t) + sizeof(void*)));
  static_assert(kLeafCapacity >= 3 && kInnerCapacity >= 3, "kNodeBytes is too small");

  // Keys and values in separate arrays: a 16-byte key next to a 4-byte value would pad.
  struct Leaf {
    std::array<Key, kLeafCapacity> keys;
    std::array<std::uint32_t, kLeafCapacity> values;
    int count = 0;
  };
  // Children are Leaf* at height 1 and Inner* above; the tree owns them through these raw
  // pointers, and every path that unlinks a node deletes it.
  struct Inner {
    std::array<Key, kInnerCapacity> keys;             // smallest key below each child
    std::array<std::uint64_t, kInnerCapacity> sizes;  // number of keys below each child
    std::array<void*, kInnerCapacity> nodes;
    int count = 0;
  };
  struct Item {  // a leaf entry on its way into a node
    Key key;
    std::uint32_t value;
  };
  struct Child {  // an inner entry on its way into a node
    Key key;  // smallest key below `node`
    std::uint64_t size;
    void* node;
  };
  // What an insert below a node leaves for that node's parent to do.
  struct Outcome {
    bool inserted = false;
    bool overflow = false;  // the node was full: `item` or `child` still needs a place
    Item item{};
    Child child{};
  };

  // Nodes allocated before an insert restructures anything, so that std::bad_alloc can only
  // escape while the tree is unchanged. Whatever is not used is freed on scope exit.
  struct Spares {
    std::unique_ptr<Leaf> leaf;
    std::vector<std::unique_ptr<Inner>> inners;

    void reserve(int inner_nodes) {
      leaf = std::make_unique_for_overwrite<Leaf>();
      inners.reserve(static_cast<std::size_t>(inner_nodes));
      while (inner_nodes-- > 0) inners.push_back(std::make_unique_for_overwrite<Inner>());
    }
    template <class N>
    N* take() {
      N* node;
      if constexpr (std::is_same_v<N, Leaf>) {
        node = leaf.release();
      } else {
        node = inners.back().release();
        inners.pop_back();
      }
      node->count = 0;
      return node;
    }
  };

  // Uniform access to both node kinds, so that splitting and merging are written once.
  template <class N>
  static constexpr int capacity() {
    return std::is_same_v<N, Leaf> ? kLeafCapacity : kInnerCapacity;
  }
  static std::uint64_t weight(const Leaf& n) { return static_cast<std::uint64_t>(n.count); }
  static std::uint64_t weight(const Inner& n) {
    return std::accumulate(n.sizes.begin(), n.sizes.begin() + n.count, std::uint64_t{0});
  }
  template <class N>
  static N& child(const Inner& p, int i) { return *static_cast<N*>(p.nodes[i]); }
  template <class N>
  static Child entry_for(N* node) { return Child{node->keys[0], weight(*node), node}; }
  static Child entry_for(void* node, int level) {
    return level == 0 ? entry_for(static_cast<Leaf*>(node)) : entry_for(static_cast<Inner*>(node));
  }

  // Moves `n` entries from src[from..] to dst[to..]; the ranges may overlap.
  static void move_range(Leaf& dst, int to, const Leaf& src, int from, int n) {
    std::memmove(dst.keys.data() + to, src.keys.data() + from, sizeof(Key) * n);
    std::memmove(dst.values.data() + to, src.values.data() + from, sizeof(std::uint32_t) * n);
  }
  static void move_range(Inner& dst, int to, const Inner& src, int from, int n) {
    std::memmove(dst.keys.data() + to, src.keys.data() + from, sizeof(Key) * n);
    std::memmove(dst.sizes.data() + to, src.sizes.data() + from, sizeof(std::uint64_t) * n);
    std::memmove(dst.nodes.data() + to, src.nodes.data() + from, sizeof(void*) * n);
  }
  static void set(Leaf& n, int i, const Item& e) { n.keys[i] = e.key, n.values[i] = e.value; }
  static void set(Inner& n, int i, const Child& e) {
    n.keys[i] = e.key, n.sizes[i] = e.size, n.nodes[i] = e.node;
  }
  template <class N, class E>
  static void put(N& n, int pos, const E& e) {
    move_range(n, pos + 1, n, pos, n.count - pos);
    set(n, pos, e);
    ++n.count;
  }
  template <class N>
  static void remove_at(N& n, int pos) {
    move_range(n, pos, n, pos + 1, n.count - pos - 1);
    --n.count;
  }

  // A node's keys span up to ~30 cache lines, and a binary search over them misses on one
  // after another; requesting them all at once overlaps those misses.
  template <class T>
  static void prefetch(const T* first, int count) {
    const char* begin = reinterpret_cast<const char*>(first);
    const char* end = reinterpret_cast<const char*>(first + count);
    for (const char* p = begin; p < end; p += 64) __builtin_prefetch(p);
    if (end > begin) __builtin_prefetch(end - 1);
  }
  // Number of entries whose key is < key.
  template <class N>
  static int lower_pos(const N& n, Key key) {
    const Key* k = n.keys.data();
    prefetch(k, n.count);
    return static_cast<int>(std::lower_bound(k, k + n.count, key) - k);
  }
  // The child whose range holds `key`: the last one whose minimum is <= key, else the first.
  static int route(const Inner& n, Key key) {
    const Key* k = n.keys.data();
    prefetch(k, n.count);
    const int i = static_cast<int>(std::upper_bound(k, k + n.count, key) - k);
    return i > 0 ? i - 1 : 0;
  }
  // Moves entries across the boundary of two adjacent nodes so that `left` keeps `left_count`.
  template <class N>
  static void balance(N& left, N& right, int left_count) {
    if (left_count < left.count) {
      const int n = left.count - left_count;
      move_range(right, n, right, 0, right.count);
      move_range(right, 0, left, left_count, n);
      right.count += n;
      left.count = left_count;
    } else if (left_count > left.count) {
      const int n = left_count - left.count;
      move_range(left, left.count, right, 0, n);
      move_range(right, 0, right, n, right.count - n);
      left.count += n;
      right.count -= n;
    }
  }
  // Puts `e` into whichever of the adjacent `nodes` (in key order) covers its key.
  template <class N, class E>
  static void put_routed(std::initializer_list<N*> nodes, const E& e) {
    const Key key = e.key;
    N* target = *nodes.begin();
    for (N* n : nodes) {
      if (n->count > 0 && n->keys[0] <= key) target = n;
    }
    assert(target->count < capacity<N>());
    put(*target, lower_pos(*target, key), e);
  }
  template <class N>
  static void refresh(Inner& p, int i) {
    p.keys[i] = child<N>(p, i).keys[0];
    p.sizes[i] = weight(child<N>(p, i));
  }
  template <class N>
  std::size_t& tally() { return std::is_same_v<N, Leaf> ? leaf_count_ : inner_count_; }
  template <class N>
  Child adopt(N* node) {
    ++tally<N>();
    return entry_for(node);
  }
  template <class N>
  void release(N* node) {
    --tally<N>();
    delete node;
  }

  std::uint32_t* locate(Key key) const {  // the value slot of `key`, or null
    if (root_ == nullptr) return nullptr;
    void* node = root_;
    for (int level = height_; level > 0; --level) {
      const Inner& n = *static_cast<const Inner*>(node);
      node = n.nodes[route(n, key)];
    }
    Leaf& leaf = *static_cast<Leaf*>(node);
    prefetch(leaf.values.data(), leaf.count);
    const int i = lower_pos(leaf, key);
    return i < leaf.count && leaf.keys[i] == key ? &leaf.values[i] : nullptr;
  }

  // `full_run` counts the full inner nodes directly above `node`. If the leaf is full, each
  // of them may split and the root may grow, so that many spares are reserved up front.
  Outcome insert_below(void* node, int level, const Item& item, int full_run, Spares& spares) {
    Outcome out;
    if (level == 0) {
      Leaf& leaf = *static_cast<Leaf*>(node);
      const int pos = lower_pos(leaf, item.key);
      if (pos < leaf.count && leaf.keys[pos] == item.key) return out;
      out.inserted = true;
      if (leaf.count < kLeafCapacity) {
        put(leaf, pos, item);
      } else {
        spares.reserve(full_run == height_ ? full_run + 1 : full_run);
        out.overflow = true;
        out.item = item;
      }
      return out;
    }
    Inner& n = *static_cast<Inner*>(node);
    const int i = route(n, item.key);
    const int run = n.count == kInnerCapacity ? full_run + 1 : 0;
    const Outcome below = insert_below(n.nodes[i], level - 1, item, run, spares);
    if (!below.inserted || !below.overflow) {
      if (below.inserted) {
        ++n.sizes[i];
        n.keys[i] = std::min(n.keys[i], item.key);
      }
      return below;
    }
    out.inserted = true;
    const std::optional<Child> extra = level == 1 ? place<Leaf>(n, i, below.item, spares)
                                                  : place<Inner>(n, i, below.child, spares);
    if (!extra) return out;
    if (n.count < kInnerCapacity) {
      put(n, lower_pos(n, extra->key), *extra);
    } else {
      out.overflow = true;
      out.child = *extra;
    }
    return out;
  }

  // Finds room for `e` around p's full child i. Returns the entry for a new node, if one was
  // made, for the caller to put into p; p's entries for the children it touched are refreshed.
  template <class N, class E>
  std::optional<Child> place(Inner& p, int i, const E& e, Spares& spares) {
    constexpr int kCap = capacity<N>();
    N& node = child<N>(p, i);
    const int pos = lower_pos(node, e.key);
    if (pos == node.count || pos == 0) {
      // Past either end, as sequential loads go: leave `node` full and start a new one.
      N* fresh = spares.template take<N>();
      put(*fresh, 0, e);
      return adopt(fresh);
    }
    if (p.count == 1) {  // no neighbour: halve
      N* fresh = spares.template take<N>();
      balance(node, *fresh, node.count / 2);
      put_routed({&node, fresh}, e);
      refresh<N>(p, i);
      return adopt(fresh);
    }
    // Pair `node` with its emptier neighbour. If that has room, share evenly (both then have
    // room for `e`); if it is full too, the two full nodes become three at two thirds each.
    const int right_count = i + 1 < p.count ? child<N>(p, i + 1).count : kCap + 1;  // +1: none
    const int left_count = i > 0 ? child<N>(p, i - 1).count : kCap + 1;
    const int a = right_count <= left_count ? i : i - 1;
    N& left = child<N>(p, a);
    N& right = child<N>(p, a + 1);
    const int total = left.count + right.count;
    std::optional<Child> made;
    if (std::min(left_count, right_count) <= kCap - 2) {
      balance(left, right, total / 2);
      put_routed({&left, &right}, e);
    } else {
      N* fresh = spares.template take<N>();
      balance(left, *fresh, total / 3);
      balance(*fresh, right, total - 2 * (total / 3));
      put_routed({&left, fresh, &right}, e);
      made = adopt(fresh);
    }
    refresh<N>(p, a);
    refresh<N>(p, a + 1);
    return made;
  }

  bool erase_below(void* node, int level, Key key) {
    if (level == 0) {
      Leaf& leaf = *static_cast<Leaf*>(node);
      const int pos = lower_pos(leaf, key);
      if (pos == leaf.count || leaf.keys[pos] != key) return false;
      remove_at(leaf, pos);
      return true;
    }
    Inner& n = *static_cast<Inner*>(node);
    const int i = route(n, key);
    if (!erase_below(n.nodes[i], level - 1, key)) return false;
    --n.sizes[i];
    level == 1 ? settle<Leaf>(n, i) : settle<Inner>(n, i);
    return true;
  }

  // After an erase below p's child i: refresh its minimum and, if it fell under a quarter
  // full, merge it with a neighbour (up to three quarters full) or even the two out.
  template <class N>
  void settle(Inner& p, int i) {
    N& x = child<N>(p, i);
    if (x.count >= capacity<N>() / 4 && x.count > 0) {
      p.keys[i] = x.keys[0];
      return;
    }
    if (p.count == 1) {  // no neighbour; the level above deals with p
      if (x.count > 0) return refresh<N>(p, i);
      release(&x);
      return remove_at(p, i);
    }
    const bool use_left =
        i + 1 == p.count || (i > 0 && child<N>(p, i - 1).count < child<N>(p, i + 1).count);
    const int a = use_left ? i - 1 : i;
    N& left = child<N>(p, a);
    N& right = child<N>(p, a + 1);
    const int total = left.count + right.count;
    if (total <= capacity<N>() * 3 / 4) {
      move_range(left, left.count, right, 0, right.count);
      left.count = total;
      release(&right);
      remove_at(p, a + 1);
      refresh<N>(p, a);
    } else {
      balance(left, right, total / 2);
      refresh<N>(p, a);
      refresh<N>(p, a + 1);
    }
  }

  template <class F>
  static bool visit_from(const void* node, int level, Key from, F& f) {
    if (level == 0) {
      const Leaf& leaf = *static_cast<const Leaf*>(node);
      for (int i = lower_pos(leaf, from); i < leaf.count; ++i) {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, Key, std::uint32_t>>) {
          f(leaf.keys[i], leaf.values[i]);
        } else if (!f(leaf.keys[i], leaf.values[i])) {
          return false;
        }
      }
      return true;
    }
    const Inner& n = *static_cast<const Inner*>(node);
    for (int i = route(n, from); i < n.count; ++i) {
      if (!visit_from(n.nodes[i], level - 1, from, f)) return false;
    }
    return true;
  }

  static void free_subtree(void* node, int level) noexcept {
    if (level == 0) {
      delete static_cast<Leaf*>(node);
      return;
    }
    Inner* n = static_cast<Inner*>(node);
    for (int i = 0; i < n->count; ++i) free_subtree(n->nodes[i], level - 1);
    delete n;
  }

  // The number of keys below `node` if every node is non-empty and every parent entry
  // matches its child; given keys in order overall, that makes routing sound.
  static std::optional<std::uint64_t> check_subtree(void* node, int level, std::size_t& leaves,
                                                    std::size_t& inners) {
    if (level == 0) {
      ++leaves;
      return static_cast<Leaf*>(node)->count > 0 ? std::optional(weight(*static_cast<Leaf*>(node)))
                                                 : std::nullopt;
    }
    const Inner& n = *static_cast<const Inner*>(node);
    ++inners;
    for (int i = 0; i < n.count; ++i) {
      if (check_subtree(n.nodes[i], level - 1, leaves, inners) != n.sizes[i] ||
          entry_for(n.nodes[i], level - 1).key != n.keys[i])
        return std::nullopt;
    }
    return n.count > 0 ? std::optional(weight(n)) : std::nullopt;
  }

  void take_from(OrderStatTree& other) noexcept {
    root_ = std::exchange(other.root_, nullptr);
    height_ = std::exchange(other.height_, 0);
    size_ = std::exchange(other.size_, 0);
    leaf_count_ = std::exchange(other.leaf_count_, 0);
    inner_count_ = std::exchange(other.inner_count_, 0);
  }

  void* root_ = nullptr;  // Leaf* when height_ == 0, else Inner*
  int height_ = 0;
  std::size_t size_ = 0;
  std::size_t leaf_count_ = 0;
  std::size_t inner_count_ = 0;
};

}  // namespace leasehold::lease
