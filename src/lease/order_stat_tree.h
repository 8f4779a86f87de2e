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
#include <optional>
#include <type_traits>
#include <utility>

#include "net/address.h"

namespace leasehold::lease {

// A B+ tree. Inner nodes keep, per child, the child's smallest key and its number of keys;
// that is enough to count present keys below any key, and so absent ones, on the way down.
// Splits prefer sharing with a neighbour and turn two full nodes into three, which keeps
// random-order fill near 80%; appends at either end split unevenly so that ascending or
// descending loads fill nodes completely. Erase merges or rebalances small nodes, so memory
// stays proportional to size(). kNodeBytes sets the node size; tests shrink it to get deep
// trees from few keys.
template <class Key, std::size_t kNodeBytes = 2048>
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

  // Returns false, changing nothing, if `key` is already present. May throw std::bad_alloc,
  // in which case the tree is unchanged.
  bool insert(Key key, std::uint32_t value);
  bool erase(Key key);  // false if absent
  std::optional<std::uint32_t> find(Key key) const {
    const Leaf* leaf = leaf_for(key);
    if (leaf == nullptr) return std::nullopt;
    prefetch(leaf->values.data(), leaf->count);
    const int i = lower_pos(*leaf, key);
    if (i == leaf->count || leaf->keys[i] != key) return std::nullopt;
    return leaf->values[i];
  }
  bool assign(Key key, std::uint32_t value) {  // false if absent
    Leaf* leaf = leaf_for(key);
    if (leaf == nullptr) return false;
    const int i = lower_pos(*leaf, key);
    if (i == leaf->count || leaf->keys[i] != key) return false;
    leaf->values[i] = value;
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() noexcept {
    if (root_ != nullptr) free_subtree(root_, height_);
    root_ = nullptr;
    height_ = 0;
    size_ = 0;
    leaf_count_ = 0;
    inner_count_ = 0;
  }

  // The rank-th (0-based) key that is not present, counting up from key 0.
  // REQUIRES: rank < (number of values of Key) - size(), so that the answer exists.
  Key nth_absent(Key rank) const;
  std::size_t count_less(Key key) const;  // present keys < key

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

  // Verifies ordering, per-child counts and minima, and node counts; for tests.
  bool check_invariants() const;

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
    std::array<Key, kInnerCapacity> mins;             // smallest key below each child
    std::array<std::uint64_t, kInnerCapacity> sizes;  // number of keys below each child
    std::array<void*, kInnerCapacity> nodes;
    int count = 0;
  };
  struct Item {  // a leaf entry on its way into a node
    Key key;
    std::uint32_t value;
  };
  struct Child {  // an inner entry on its way into a node
    Key min;
    std::uint64_t size;
    void* node;
  };
  // What an insert below a node left for that node's parent to do.
  struct Outcome {
    bool inserted = false;
    bool overflow = false;  // the node was full; `item` or `child` still needs a place
    Item item{};
    Child child{};
  };

  // Nodes allocated before an insert starts restructuring, so that std::bad_alloc can only
  // escape while the tree is unchanged. Unused ones are freed on scope exit.
  class Spares {
   public:
    Spares() = default;
    Spares(const Spares&) = delete;
    Spares& operator=(const Spares&) = delete;
    ~Spares() {
      while (inners_ != nullptr) delete pop_inner();
    }
    void reserve(int inner_nodes) {
      leaf_ = std::make_unique_for_overwrite<Leaf>();
      for (int i = 0; i < inner_nodes; ++i) {
        Inner* node = std::make_unique_for_overwrite<Inner>().release();
        node->nodes[0] = inners_;  // chained through the first child slot while spare
        inners_ = node;
      }
    }
    template <class N>
    N* take() {
      N* node;
      if constexpr (std::is_same_v<N, Leaf>) {
        assert(leaf_ != nullptr);
        node = leaf_.release();
      } else {
        node = pop_inner();
      }
      node->count = 0;
      return node;
    }

   private:
    Inner* pop_inner() {
      assert(inners_ != nullptr);
      Inner* node = inners_;
      inners_ = static_cast<Inner*>(node->nodes[0]);
      return node;
    }
    std::unique_ptr<Leaf> leaf_;
    Inner* inners_ = nullptr;
  };

  // Uniform access to both node kinds, so that splitting and merging are written once.
  template <class N>
  static constexpr int capacity() {
    return std::is_same_v<N, Leaf> ? kLeafCapacity : kInnerCapacity;
  }
  template <class N>
  static constexpr int min_fill() { return capacity<N>() / 4; }
  template <class N>
  static constexpr int merge_limit() { return capacity<N>() * 3 / 4; }
  static const Key* keys_of(const Leaf& n) { return n.keys.data(); }
  static const Key* keys_of(const Inner& n) { return n.mins.data(); }
  static Key entry_key(const Item& e) { return e.key; }
  static Key entry_key(const Child& e) { return e.min; }
  static std::uint64_t weight(const Leaf& n) { return static_cast<std::uint64_t>(n.count); }
  static std::uint64_t weight(const Inner& n) {
    std::uint64_t total = 0;
    for (int i = 0; i < n.count; ++i) total += n.sizes[i];
    return total;
  }
  template <class N>
  static N& child(const Inner& p, int i) { return *static_cast<N*>(p.nodes[i]); }

  // Moves `n` entries from src[from..] to dst[to..]; the ranges may overlap.
  static void move_range(Leaf& dst, int to, const Leaf& src, int from, int n) {
    std::memmove(dst.keys.data() + to, src.keys.data() + from, sizeof(Key) * n);
    std::memmove(dst.values.data() + to, src.values.data() + from, sizeof(std::uint32_t) * n);
  }
  static void move_range(Inner& dst, int to, const Inner& src, int from, int n) {
    std::memmove(dst.mins.data() + to, src.mins.data() + from, sizeof(Key) * n);
    std::memmove(dst.sizes.data() + to, src.sizes.data() + from, sizeof(std::uint64_t) * n);
    std::memmove(dst.nodes.data() + to, src.nodes.data() + from, sizeof(void*) * n);
  }
  static void put(Leaf& n, int pos, const Item& e) {
    move_range(n, pos + 1, n, pos, n.count - pos);
    n.keys[pos] = e.key;
    n.values[pos] = e.value;
    ++n.count;
  }
  static void put(Inner& n, int pos, const Child& e) {
    move_range(n, pos + 1, n, pos, n.count - pos);
    n.mins[pos] = e.min;
    n.sizes[pos] = e.size;
    n.nodes[pos] = e.node;
    ++n.count;
  }
  template <class N>
  static void remove_at(N& n, int pos) {
    move_range(n, pos, n, pos + 1, n.count - pos - 1);
    --n.count;
  }
  // A node's keys span up to ~30 cache lines, and a binary search over them misses on one
  // after another; requesting them all at once overlaps those misses (2-3x faster at 1M keys).
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
    const Key* k = keys_of(n);
    prefetch(k, n.count);
    return static_cast<int>(std::lower_bound(k, k + n.count, key) - k);
  }
  // The child whose range holds `key`: the last one whose minimum is <= key, else the first.
  static int route(const Inner& n, Key key) {
    const Key* k = n.mins.data();
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
    const Key key = entry_key(e);
    N* target = *nodes.begin();
    for (N* n : nodes) {
      if (n->count > 0 && keys_of(*n)[0] <= key) target = n;
    }
    assert(target->count < capacity<N>());
    put(*target, lower_pos(*target, key), e);
  }
  template <class N>
  static void refresh(Inner& p, int i) {
    const N& n = child<N>(p, i);
    p.mins[i] = keys_of(n)[0];
    p.sizes[i] = weight(n);
  }
  template <class N>
  Child adopt(N* node) {
    if constexpr (std::is_same_v<N, Leaf>) {
      ++leaf_count_;
    } else {
      ++inner_count_;
    }
    return Child{keys_of(*node)[0], weight(*node), node};
  }
  template <class N>
  void release(N* node) {
    if constexpr (std::is_same_v<N, Leaf>) {
      --leaf_count_;
    } else {
      --inner_count_;
    }
    delete node;
  }

  Leaf* leaf_for(Key key) const;
  Outcome insert_below(void* node, int level, const Item& item, int full_run, Spares& spares);
  template <class N, class E>
  std::optional<Child> place(Inner& p, int i, const E& e, Spares& spares);
  bool erase_below(void* node, int level, Key key);
  template <class N>
  void settle(Inner& p, int i);
  template <class F>
  static bool visit_from(const void* node, int level, Key from, F& f);
  static void free_subtree(void* node, int level) noexcept;
  std::optional<std::uint64_t> check_subtree(const void* node, int level, std::size_t& leaves,
                                             std::size_t& inners) const;
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

template <class Key, std::size_t kNodeBytes>
bool OrderStatTree<Key, kNodeBytes>::insert(Key key, std::uint32_t value) {
  const Item item{key, value};
  if (root_ == nullptr) {
    Spares spares;
    spares.reserve(0);
    Leaf* leaf = spares.template take<Leaf>();
    put(*leaf, 0, item);
    adopt(leaf);
    root_ = leaf;
    size_ = 1;
    return true;
  }
  Spares spares;
  const Outcome out = insert_below(root_, height_, item, 0, spares);
  if (!out.inserted) return false;
  ++size_;
  if (out.overflow) {  // the root itself was full: grow a level
    Inner* root = spares.template take<Inner>();
    const Child old = height_ == 0 ? Child{keys_of(*static_cast<Leaf*>(root_))[0],
                                           weight(*static_cast<Leaf*>(root_)), root_}
                                   : Child{keys_of(*static_cast<Inner*>(root_))[0],
                                           weight(*static_cast<Inner*>(root_)), root_};
    put(*root, 0, old);
    adopt(root);
    root_ = root;
    ++height_;
    const std::optional<Child> extra = height_ == 1
                                           ? place<Leaf>(*root, 0, out.item, spares)
                                           : place<Inner>(*root, 0, out.child, spares);
    if (extra) put(*root, lower_pos(*root, extra->min), *extra);
  }
  return true;
}

// `full_run` counts the full inner nodes directly above `node`: if the leaf is full, each of
// them may split too, and the root may grow, so that many spare nodes are reserved up front.
template <class Key, std::size_t kNodeBytes>
auto OrderStatTree<Key, kNodeBytes>::insert_below(void* node, int level, const Item& item,
                                                  int full_run, Spares& spares) -> Outcome {
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
      n.mins[i] = std::min(n.mins[i], item.key);
    }
    return below;
  }
  out.inserted = true;
  const std::optional<Child> extra = level == 1 ? place<Leaf>(n, i, below.item, spares)
                                                : place<Inner>(n, i, below.child, spares);
  if (!extra) return out;
  if (n.count < kInnerCapacity) {
    put(n, lower_pos(n, extra->min), *extra);
  } else {
    out.overflow = true;
    out.child = *extra;
  }
  return out;
}

// Finds room for `e` around p's full child i. Returns the entry for a new node, if one was
// made, for the caller to put into p; p's entries for the children it touched are refreshed.
template <class Key, std::size_t kNodeBytes>
template <class N, class E>
auto OrderStatTree<Key, kNodeBytes>::place(Inner& p, int i, const E& e, Spares& spares)
    -> std::optional<Child> {
  constexpr int kCap = capacity<N>();
  N& node = child<N>(p, i);
  const int pos = lower_pos(node, entry_key(e));
  if (pos == node.count || pos == 0) {
    // Appending past either end, as sequential loads do: leave `node` full and start afresh.
    N* fresh = spares.template take<N>();
    put(*fresh, 0, e);
    return adopt(fresh);
  }
  const int right_count = i + 1 < p.count ? child<N>(p, i + 1).count : kCap;
  const int left_count = i > 0 ? child<N>(p, i - 1).count : kCap;
  if (std::min(left_count, right_count) <= kCap - 2) {
    // A neighbour has room: share evenly; no allocation, and both end with room for `e`.
    const int a = right_count <= left_count ? i : i - 1;
    N& left = child<N>(p, a);
    N& right = child<N>(p, a + 1);
    balance(left, right, (left.count + right.count) / 2);
    put_routed({&left, &right}, e);
    refresh<N>(p, a);
    refresh<N>(p, a + 1);
    return std::nullopt;
  }
  N* fresh = spares.template take<N>();
  if (p.count == 1) {  // no neighbour: halve
    balance(node, *fresh, node.count / 2);
    put_routed({&node, fresh}, e);
    refresh<N>(p, i);
    return adopt(fresh);
  }
  // Neighbour full too: two full nodes become three at two thirds each.
  const int a = i + 1 < p.count ? i : i - 1;
  N& left = child<N>(p, a);
  N& right = child<N>(p, a + 1);
  const int total = left.count + right.count;
  balance(left, *fresh, total / 3);
  balance(*fresh, right, total - 2 * (total / 3));
  put_routed({&left, fresh, &right}, e);
  refresh<N>(p, a);
  refresh<N>(p, a + 1);
  return adopt(fresh);
}

template <class Key, std::size_t kNodeBytes>
bool OrderStatTree<Key, kNodeBytes>::erase(Key key) {
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

template <class Key, std::size_t kNodeBytes>
bool OrderStatTree<Key, kNodeBytes>::erase_below(void* node, int level, Key key) {
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
  if (level == 1) {
    settle<Leaf>(n, i);
  } else {
    settle<Inner>(n, i);
  }
  return true;
}

// After an erase below p's child i: refresh its minimum, and merge it with a neighbour or
// even them out if it became small.
template <class Key, std::size_t kNodeBytes>
template <class N>
void OrderStatTree<Key, kNodeBytes>::settle(Inner& p, int i) {
  N& x = child<N>(p, i);
  if (x.count >= min_fill<N>() && x.count > 0) {
    p.mins[i] = keys_of(x)[0];
    return;
  }
  if (p.count == 1) {  // no neighbour; the level above deals with p
    if (x.count == 0) {
      release(&x);
      remove_at(p, i);
    } else {
      refresh<N>(p, i);
    }
    return;
  }
  int a = i;  // left node of the pair; pick the smaller neighbour, more likely to merge
  if (i + 1 == p.count ||
      (i > 0 && child<N>(p, i - 1).count < child<N>(p, i + 1).count)) {
    a = i - 1;
  }
  N& left = child<N>(p, a);
  N& right = child<N>(p, a + 1);
  const int total = left.count + right.count;
  if (total <= merge_limit<N>()) {
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

template <class Key, std::size_t kNodeBytes>
auto OrderStatTree<Key, kNodeBytes>::leaf_for(Key key) const -> Leaf* {
  void* node = root_;
  for (int level = height_; level > 0 && node != nullptr; --level) {
    const Inner& n = *static_cast<const Inner*>(node);
    node = n.nodes[route(n, key)];
  }
  return static_cast<Leaf*>(node);
}

// Below the first key u of a subtree with c present keys before it, u - c keys are absent.
// Descend into the last child where that is <= rank; in the leaf, every key k with
// k - rank(k) <= rank lies below the answer, which is rank plus the number of such keys.
template <class Key, std::size_t kNodeBytes>
Key OrderStatTree<Key, kNodeBytes>::nth_absent(Key rank) const {
  if (root_ == nullptr) return rank;
  const void* node = root_;
  std::uint64_t before = 0;
  for (int level = height_; level > 0; --level) {
    const Inner& n = *static_cast<const Inner*>(node);
    int pick = 0;
    std::uint64_t pick_before = before;
    prefetch(n.mins.data(), n.count);
    prefetch(n.sizes.data(), n.count);
    for (int i = 0; i < n.count && n.mins[i] - static_cast<Key>(before) <= rank; ++i) {
      pick = i;
      pick_before = before;
      before += n.sizes[i];
    }
    node = n.nodes[pick];
    before = pick_before;
  }
  const Leaf& leaf = *static_cast<const Leaf*>(node);
  prefetch(leaf.keys.data(), leaf.count);
  int lo = 0;
  int hi = leaf.count;
  while (lo < hi) {
    const int mid = (lo + hi) / 2;
    if (leaf.keys[mid] - static_cast<Key>(before + mid) <= rank) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return rank + static_cast<Key>(before + lo);
}

template <class Key, std::size_t kNodeBytes>
std::size_t OrderStatTree<Key, kNodeBytes>::count_less(Key key) const {
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

template <class Key, std::size_t kNodeBytes>
template <class F>
bool OrderStatTree<Key, kNodeBytes>::visit_from(const void* node, int level, Key from, F& f) {
  if (level == 0) {
    const Leaf& leaf = *static_cast<const Leaf*>(node);
    for (int i = lower_pos(leaf, from); i < leaf.count; ++i) {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Key, std::uint32_t>>) {
        f(leaf.keys[i], leaf.values[i]);
      } else {
        if (!f(leaf.keys[i], leaf.values[i])) return false;
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

template <class Key, std::size_t kNodeBytes>
void OrderStatTree<Key, kNodeBytes>::free_subtree(void* node, int level) noexcept {
  if (level == 0) {
    delete static_cast<Leaf*>(node);
    return;
  }
  Inner* n = static_cast<Inner*>(node);
  for (int i = 0; i < n->count; ++i) free_subtree(n->nodes[i], level - 1);
  delete n;
}

template <class Key, std::size_t kNodeBytes>
bool OrderStatTree<Key, kNodeBytes>::check_invariants() const {
  if (root_ == nullptr) return size_ == 0 && leaf_count_ == 0 && inner_count_ == 0;
  std::size_t leaves = 0;
  std::size_t inners = 0;
  const std::optional<std::uint64_t> total = check_subtree(root_, height_, leaves, inners);
  return total && *total == size_ && leaves == leaf_count_ && inners == inner_count_;
}

// Returns the number of keys below `node`, or nothing if something is inconsistent.
template <class Key, std::size_t kNodeBytes>
auto OrderStatTree<Key, kNodeBytes>::check_subtree(const void* node, int level,
                                                   std::size_t& leaves,
                                                   std::size_t& inners) const
    -> std::optional<std::uint64_t> {
  if (level == 0) {
    const Leaf& leaf = *static_cast<const Leaf*>(node);
    ++leaves;
    if (leaf.count < 1 || leaf.count > kLeafCapacity) return std::nullopt;
    for (int i = 1; i < leaf.count; ++i) {
      if (!(leaf.keys[i - 1] < leaf.keys[i])) return std::nullopt;
    }
    return weight(leaf);
  }
  const Inner& n = *static_cast<const Inner*>(node);
  ++inners;
  if (n.count < 1 || n.count > kInnerCapacity) return std::nullopt;
  std::uint64_t total = 0;
  for (int i = 0; i < n.count; ++i) {
    const std::optional<std::uint64_t> below = check_subtree(n.nodes[i], level - 1, leaves, inners);
    if (!below || *below != n.sizes[i]) return std::nullopt;
    const Key first = level == 1 ? keys_of(*static_cast<const Leaf*>(n.nodes[i]))[0]
                                 : keys_of(*static_cast<const Inner*>(n.nodes[i]))[0];
    if (first != n.mins[i] || (i > 0 && !(n.mins[i - 1] < n.mins[i]))) return std::nullopt;
    if (i + 1 < n.count) {  // every key below child i must be below the next minimum
      Key last = 0;
      bool any = false;
      auto note_last = [&](Key k, std::uint32_t) {
        last = k;
        any = true;
      };
      visit_from(n.nodes[i], level - 1, first, note_last);
      if (!any || !(last < n.mins[i + 1])) return std::nullopt;
    }
    total += *below;
  }
  return total;
}

}  // namespace leasehold::lease
