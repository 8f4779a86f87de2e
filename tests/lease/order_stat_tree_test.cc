#include "lease/order_stat_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace leasehold::lease {
namespace {

using net::uint128;

// Tiny nodes turn a few thousand keys into a tree four or five levels deep, so that splits,
// merges and root changes at every level happen often in the model tests.
constexpr std::size_t kTinyNodeBytes = 192;

template <class Key>
Key random_key(std::mt19937_64& rng) {
  if constexpr (sizeof(Key) == 16) {
    return (uint128{rng()} << 64) | rng();
  } else {
    return static_cast<Key>(rng());
  }
}

// Random key in [0, bound), bound <= 2^64.
template <class Key>
Key random_below(std::mt19937_64& rng, std::uint64_t bound) {
  return static_cast<Key>(std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(rng));
}

template <class Key>
Key max_key() {
  return static_cast<Key>(~Key{0});
}

// The rank-th absent key at or above `base`, given that no model key is below `base`.
template <class Key>
Key brute_nth_absent(const std::map<Key, std::uint32_t>& model, Key base, Key rank) {
  Key answer = base + rank;
  for (auto it = model.lower_bound(base); it != model.end() && it->first <= answer; ++it) ++answer;
  return answer;
}

template <class Key>
std::size_t brute_count_less(const std::map<Key, std::uint32_t>& model, Key key) {
  return static_cast<std::size_t>(std::distance(model.begin(), model.lower_bound(key)));
}

// Random inserts, erases and assigns on keys in [base, base + span), checked against std::map.
// The first half of the run mostly inserts, the second mostly erases, so the tree grows deep
// and then shrinks back through merges.
template <class Tree, class Key>
void run_model(Key base, std::uint64_t span, int steps, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tree tree;
  std::map<Key, std::uint32_t> model;
  for (int step = 0; step < steps; ++step) {
    const Key key = base + random_below<Key>(rng, span);
    const auto value = static_cast<std::uint32_t>(rng());
    const int insert_percent = step < steps / 2 ? 70 : 25;
    const int roll = static_cast<int>(rng() % 100);
    if (roll < insert_percent) {
      const bool fresh = model.emplace(key, value).second;
      ASSERT_EQ(tree.insert(key, value), fresh) << "step " << step;
    } else if (roll < 90) {
      ASSERT_EQ(tree.erase(key), model.erase(key) == 1) << "step " << step;
    } else {
      auto it = model.find(key);
      if (it != model.end()) it->second = value;
      ASSERT_EQ(tree.assign(key, value), it != model.end()) << "step " << step;
    }
    ASSERT_EQ(tree.size(), model.size());
    if (step % 64 != 0) continue;

    ASSERT_TRUE(tree.check_invariants()) << "step " << step;
    ASSERT_EQ(tree.empty(), model.empty());
    for (int q = 0; q < 8; ++q) {
      const Key probe = base + random_below<Key>(rng, span + 2);
      auto it = model.find(probe);
      ASSERT_EQ(tree.find(probe), it == model.end() ? std::nullopt
                                                    : std::optional<std::uint32_t>(it->second));
      ASSERT_EQ(tree.count_less(probe), brute_count_less(model, probe));
      const Key rank = random_below<Key>(rng, span + 16);
      ASSERT_EQ(tree.nth_absent(base + rank), brute_nth_absent(model, base, rank))
          << "rank " << net::to_string(rank) << " step " << step;
    }
    ASSERT_EQ(tree.nth_absent(base), brute_nth_absent(model, base, Key{0}));

    const Key from = base + random_below<Key>(rng, span);
    std::vector<std::pair<Key, std::uint32_t>> seen;
    tree.for_each_from(from, [&](Key k, std::uint32_t v) {
      seen.emplace_back(k, v);
      return seen.size() < 40;
    });
    std::vector<std::pair<Key, std::uint32_t>> expected;
    for (auto it = model.lower_bound(from); it != model.end() && expected.size() < 40; ++it)
      expected.emplace_back(*it);
    ASSERT_EQ(seen, expected) << "step " << step;
  }
  // Drain completely: every node must go.
  for (const auto& [key, value] : model) ASSERT_TRUE(tree.erase(key));
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.memory_bytes(), 0u);
  EXPECT_TRUE(tree.check_invariants());
}

struct KeyName {
  template <class Key>
  static std::string GetName(int) {
    if constexpr (sizeof(Key) == 4) return "uint32";
    if constexpr (sizeof(Key) == 8) return "uint64";
    return "uint128";
  }
};

template <class Key>
class OrderStatTreeTest : public ::testing::Test {};
using KeyTypes = ::testing::Types<std::uint32_t, std::uint64_t, uint128>;
TYPED_TEST_SUITE(OrderStatTreeTest, KeyTypes, KeyName);

TYPED_TEST(OrderStatTreeTest, MatchesModelFromZero) {
  using Key = TypeParam;
  run_model<OrderStatTree<Key>, Key>(Key{0}, 5000, 12000, 1);
  run_model<OrderStatTree<Key, kTinyNodeBytes>, Key>(Key{0}, 5000, 12000, 2);
  run_model<OrderStatTree<Key, kTinyNodeBytes>, Key>(Key{0}, 300, 6000, 3);  // dense
}

TYPED_TEST(OrderStatTreeTest, MatchesModelAtHighKeys) {
  using Key = TypeParam;
  // Near the top of the key space; for uint128, straddling 2^64 (a /64 pool's end) and far
  // above it.
  const Key high = max_key<Key>() - Key{20000};
  run_model<OrderStatTree<Key, kTinyNodeBytes>, Key>(high, 5000, 12000, 4);
  if constexpr (sizeof(Key) == 16) {
    run_model<OrderStatTree<Key, kTinyNodeBytes>, Key>((uint128{1} << 64) - 2500, 5000, 12000, 5);
    run_model<OrderStatTree<Key>, Key>(uint128{1} << 100, 5000, 12000, 6);
  }
}

TYPED_TEST(OrderStatTreeTest, EmptyTree) {
  using Key = TypeParam;
  OrderStatTree<Key> tree;
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.memory_bytes(), 0u);
  for (Key rank : {Key{0}, Key{1}, Key{12345}, max_key<Key>()})
    EXPECT_EQ(tree.nth_absent(rank), rank);
  EXPECT_EQ(tree.count_less(Key{77}), 0u);
  EXPECT_EQ(tree.find(Key{0}), std::nullopt);
  EXPECT_FALSE(tree.erase(Key{0}));
  EXPECT_FALSE(tree.assign(Key{0}, 1));
  int calls = 0;
  tree.for_each_from(Key{0}, [&](Key, std::uint32_t) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(tree.check_invariants());
}

TYPED_TEST(OrderStatTreeTest, DenseRangeAndOneHole) {
  using Key = TypeParam;
  for (std::uint32_t n : {1u, 2u, 100u, 20000u}) {
    OrderStatTree<Key, kTinyNodeBytes> tree;
    for (std::uint32_t i = 0; i < n; ++i) ASSERT_TRUE(tree.insert(Key{i}, i));
    EXPECT_EQ(tree.nth_absent(Key{0}), Key{n});
    EXPECT_EQ(tree.nth_absent(Key{7}), Key{n + 7});
    EXPECT_EQ(tree.count_less(Key{n}), n);
    EXPECT_EQ(tree.count_less(max_key<Key>()), n);

    const std::uint32_t hole = n / 2;
    ASSERT_TRUE(tree.erase(Key{hole}));
    EXPECT_EQ(tree.nth_absent(Key{0}), Key{hole});
    EXPECT_EQ(tree.nth_absent(Key{1}), Key{n});
    EXPECT_EQ(tree.count_less(Key{hole + 1}), hole);
    EXPECT_TRUE(tree.check_invariants());
  }
}

TYPED_TEST(OrderStatTreeTest, DuplicateInsertAndAbsentErase) {
  using Key = TypeParam;
  OrderStatTree<Key> tree;
  EXPECT_TRUE(tree.insert(Key{10}, 1));
  EXPECT_FALSE(tree.insert(Key{10}, 2));
  EXPECT_EQ(tree.find(Key{10}), 1u);
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_FALSE(tree.erase(Key{11}));
  EXPECT_FALSE(tree.assign(Key{9}, 5));
  EXPECT_TRUE(tree.assign(Key{10}, 5));
  EXPECT_EQ(tree.find(Key{10}), 5u);
  EXPECT_TRUE(tree.erase(Key{10}));
  EXPECT_FALSE(tree.erase(Key{10}));
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(tree.memory_bytes(), 0u);
}

TYPED_TEST(OrderStatTreeTest, ForEachStopsAndMoves) {
  using Key = TypeParam;
  OrderStatTree<Key, kTinyNodeBytes> tree;
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(tree.insert(Key{3 * i}, i));
  std::vector<Key> seen;
  tree.for_each_from(Key{100}, [&](Key k, std::uint32_t) {
    seen.push_back(k);
    return seen.size() < 3;
  });
  EXPECT_EQ(seen, (std::vector<Key>{Key{102}, Key{105}, Key{108}}));

  OrderStatTree<Key, kTinyNodeBytes> moved(std::move(tree));
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_TRUE(tree.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(tree.memory_bytes(), 0u);
  EXPECT_TRUE(tree.insert(Key{1}, 1));
  tree = std::move(moved);
  EXPECT_EQ(tree.size(), 1000u);
  EXPECT_EQ(tree.find(Key{2997}), 999u);
  EXPECT_TRUE(tree.check_invariants());
  tree.clear();
  EXPECT_EQ(tree.memory_bytes(), 0u);
}

TEST(OrderStatTreeV6, KeysAcrossTwoTo64) {
  // A /64 pool: offsets up to 2^64 - 1, with the top of the pool in use.
  const uint128 top = (uint128{1} << 64) - 1;
  OrderStatTree<uint128> pool;
  ASSERT_TRUE(pool.insert(0, 0));
  ASSERT_TRUE(pool.insert(top, 1));
  ASSERT_TRUE(pool.insert(top - 1, 2));
  ASSERT_TRUE(pool.insert(top - 3, 3));
  EXPECT_EQ(pool.nth_absent(0), uint128{1});
  // 2^64 - 4 free offsets: 1 .. top-4 and top-2.
  EXPECT_EQ(pool.nth_absent(top - 5), top - 4);
  EXPECT_EQ(pool.nth_absent(top - 4), top - 2);
  EXPECT_EQ(pool.nth_absent(top - 3), top + 1);  // past the pool: the caller's bound stops this
  EXPECT_EQ(pool.count_less(top), 3u);

  // Far above 2^64.
  const uint128 far = uint128{1} << 100;
  OrderStatTree<uint128, kTinyNodeBytes> tree;
  for (std::uint32_t i = 0; i < 500; ++i) ASSERT_TRUE(tree.insert(far + i, i));
  ASSERT_TRUE(tree.erase(far + 250));
  EXPECT_EQ(tree.nth_absent(0), uint128{0});
  EXPECT_EQ(tree.nth_absent(far - 1), far - 1);
  EXPECT_EQ(tree.nth_absent(far), far + 250);
  EXPECT_EQ(tree.nth_absent(far + 1), far + 500);
  EXPECT_EQ(tree.count_less(far + 300), 299u);
  EXPECT_EQ(tree.find(far + 499), 499u);
  EXPECT_TRUE(tree.check_invariants());
}

double nanos_per_op(std::chrono::steady_clock::duration elapsed, std::size_t ops) {
  return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(ops);
}

template <class Key>
double bytes_per_entry_bound() {
  // Targets for 1M random keys; uint64 is interpolated between the two that were specified.
  if constexpr (sizeof(Key) == 4) return 14;
  if constexpr (sizeof(Key) == 8) return 20;
  return 30;
}

constexpr std::size_t kMillion = 1'000'000;
constexpr std::uint64_t kPoolSize = 4 * kMillion;  // a pool one quarter in use

// Fills `tree` with kMillion distinct random offsets below kPoolSize; returns them shuffled.
template <class Key>
std::vector<Key> fill_random(OrderStatTree<Key>& tree, std::mt19937_64& rng) {
  std::vector<Key> keys;
  keys.reserve(kMillion);
  while (tree.size() < kMillion) {
    const Key key = random_below<Key>(rng, kPoolSize);
    if (tree.insert(key, static_cast<std::uint32_t>(keys.size()))) keys.push_back(key);
  }
  return keys;
}

TYPED_TEST(OrderStatTreeTest, MemoryAndSpeedAtOneMillion) {
  using Key = TypeParam;
  using Clock = std::chrono::steady_clock;
  std::mt19937_64 rng(7);
  OrderStatTree<Key> tree;
  auto start = Clock::now();
  std::vector<Key> keys = fill_random(tree, rng);
  const double insert_ns = nanos_per_op(Clock::now() - start, kMillion);

  const double bytes_per_entry =
      static_cast<double>(tree.memory_bytes()) / static_cast<double>(tree.size());
  EXPECT_LE(bytes_per_entry, bytes_per_entry_bound<Key>());

  // Queries use a random quarter of the keys; that is plenty for a per-operation time.
  std::shuffle(keys.begin(), keys.end(), rng);
  keys.resize(kMillion / 4);
  std::vector<Key> ranks(keys.size());
  for (Key& rank : ranks) rank = random_below<Key>(rng, kPoolSize - kMillion);
  std::uint64_t sink = 0;
  start = Clock::now();
  for (Key key : keys) sink += tree.find(key).value_or(0);
  const double find_ns = nanos_per_op(Clock::now() - start, keys.size());

  start = Clock::now();
  for (Key rank : ranks) sink += static_cast<std::uint64_t>(tree.nth_absent(rank));
  const double nth_ns = nanos_per_op(Clock::now() - start, keys.size());

  start = Clock::now();
  for (Key key : keys) sink += tree.count_less(key);
  const double count_ns = nanos_per_op(Clock::now() - start, keys.size());

  start = Clock::now();
  for (Key key : keys) sink += tree.erase(key) ? 1 : 0;
  const double erase_ns = nanos_per_op(Clock::now() - start, keys.size());
  EXPECT_EQ(tree.size(), kMillion - keys.size());

  const std::string name = KeyName::GetName<Key>(0);
  std::cout << "[ " << name << " ] " << bytes_per_entry << " bytes/entry; ns/op at 1M: insert "
            << insert_ns << ", find " << find_ns << ", nth_absent " << nth_ns << ", count_less "
            << count_ns << ", erase " << erase_ns << " (sink " << (sink & 1) << ")\n";
  this->RecordProperty("bytes_per_entry", std::to_string(bytes_per_entry));
  this->RecordProperty("insert_ns", std::to_string(insert_ns));
  this->RecordProperty("find_ns", std::to_string(find_ns));
  this->RecordProperty("nth_absent_ns", std::to_string(nth_ns));
  this->RecordProperty("count_less_ns", std::to_string(count_ns));
  this->RecordProperty("erase_ns", std::to_string(erase_ns));
}

TYPED_TEST(OrderStatTreeTest, ShrinksAfterErase) {
  using Key = TypeParam;
  std::mt19937_64 rng(8);
  OrderStatTree<Key> tree;
  std::vector<Key> keys = fill_random(tree, rng);
  const std::size_t full_bytes = tree.memory_bytes();
  constexpr std::size_t kKeep = 1000;
  for (std::size_t i = kKeep; i < keys.size(); ++i) ASSERT_TRUE(tree.erase(keys[i]));
  ASSERT_EQ(tree.size(), kKeep);
  EXPECT_TRUE(tree.check_invariants());
  // Small nodes are merged down to a quarter full at worst.
  const double bound = 4 * bytes_per_entry_bound<Key>() * kKeep + 4 * 2048;
  EXPECT_LE(static_cast<double>(tree.memory_bytes()), bound)
      << "was " << full_bytes << " bytes at 1M entries";
  std::cout << "[ " << KeyName::GetName<Key>(0) << " ] " << tree.memory_bytes()
            << " bytes for " << kKeep << " entries left (" << full_bytes << " at 1M)\n";
  for (std::size_t i = 0; i < kKeep; ++i)
    EXPECT_EQ(tree.find(keys[i]), static_cast<std::uint32_t>(i));
}

TYPED_TEST(OrderStatTreeTest, SequentialLoadsFillNodes) {
  using Key = TypeParam;
  constexpr std::uint32_t kCount = 200'000;
  const double raw = static_cast<double>(sizeof(Key) + sizeof(std::uint32_t));
  OrderStatTree<Key> ascending;
  for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_TRUE(ascending.insert(Key{i}, i));
  OrderStatTree<Key> descending;
  for (std::uint32_t i = kCount; i-- > 0;) ASSERT_TRUE(descending.insert(Key{i}, i));
  for (const auto* tree : {&ascending, &descending}) {
    EXPECT_TRUE(tree->check_invariants());
    EXPECT_EQ(tree->nth_absent(Key{0}), Key{kCount});
    const double per_entry =
        static_cast<double>(tree->memory_bytes()) / static_cast<double>(kCount);
    EXPECT_LE(per_entry, raw * 1.1);
  }
}

}  // namespace
}  // namespace leasehold::lease
