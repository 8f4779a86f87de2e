#include "lease/pool_set.h"

#include <gtest/gtest.h>

#include <map>

namespace leasehold::lease {
namespace {

using net::Address;

Address v4(const char* t) { return *Address::parse(t); }

// Draws many times from pools whose used addresses are clustered (a "random probe, then
// scan to the next free" allocator would favour the address after each cluster) and checks
// the counts with Pearson's chi-square test. Seeded, so the verdict is repeatable.
TEST(PoolSet, DrawIsUniformOverFreeAddresses) {
  PoolSet<std::uint32_t> pools(net::Family::v4);
  pools.reset({PoolSpec{*net::Range::parse("10.0.0.0-10.0.0.63"), 1},
               PoolSpec{*net::Range::parse("10.0.1.0-10.0.1.55"), 1}});
  for (std::uint32_t i = 10; i < 30; ++i) ASSERT_TRUE(pools.insert(Address::v4(0x0a000000 + i), 7));
  ASSERT_EQ(pools.free_count(), 100u);

  SeededRandom random(12345);
  constexpr int kDraws = 200'000;
  std::map<Address, int> counts;
  for (int i = 0; i < kDraws; ++i) {
    auto a = pools.draw(random);
    ASSERT_TRUE(a);
    ASSERT_FALSE(pools.find(*a)) << "drew a used address " << a->to_string();
    counts[*a]++;
  }
  ASSERT_EQ(counts.size(), 100u);
  double expected = kDraws / 100.0, chi2 = 0;
  for (const auto& [addr, n] : counts) chi2 += (n - expected) * (n - expected) / expected;
  // 99 degrees of freedom: the 0.9999 quantile is about 157.
  EXPECT_LT(chi2, 157.0) << "draws are not uniform";
  // The address right after the used cluster must not be favoured.
  EXPECT_LT(counts[v4("10.0.0.30")], expected * 1.2);
}

TEST(PoolSet, RandomBelowIsUnbiasedForOddBounds) {
  SeededRandom random(7);
  std::vector<int> counts(3);
  for (int i = 0; i < 300'000; ++i) counts[static_cast<std::size_t>(random.below(3))]++;
  for (int c : counts) EXPECT_NEAR(c, 100'000, 1500);
  EXPECT_EQ(random.below(1), 0u);
  net::uint128 big = (net::uint128{1} << 100) + 3;
  for (int i = 0; i < 1000; ++i) EXPECT_LT(random.below(big), big);
}

TEST(PoolSet, FindsAddressesInsideAndOutsidePools) {
  PoolSet<net::uint128> pools(net::Family::v6);
  pools.reset({PoolSpec{*net::Range::parse("fd00::/64"), 3}});
  Address inside = *Address::parse("fd00::1234");
  Address outside = *Address::parse("fd01::1");
  EXPECT_TRUE(pools.insert(inside, 1));
  EXPECT_FALSE(pools.insert(inside, 2));
  EXPECT_TRUE(pools.insert(outside, 5));
  EXPECT_EQ(pools.find(inside), 1u);
  EXPECT_EQ(pools.find(outside), 5u);
  EXPECT_EQ(pools.pool_subnet(inside), 3u);
  EXPECT_FALSE(pools.pool_subnet(outside));
  EXPECT_EQ(pools.free_count(), (net::uint128{1} << 64) - 1);
  EXPECT_TRUE(pools.erase(inside));
  EXPECT_FALSE(pools.find(inside));
}

TEST(PoolSet, LastFreeAddressOfAFullPoolIsDrawn) {
  PoolSet<std::uint32_t> pools(net::Family::v4);
  pools.reset({PoolSpec{*net::Range::parse("10.0.0.1-10.0.0.254"), 1}});
  for (std::uint32_t i = 1; i <= 254; ++i)
    if (i != 77) pools.insert(Address::v4(0x0a000000 + i), 1);
  SeededRandom random(1);
  EXPECT_EQ(pools.draw(random), v4("10.0.0.77"));
  pools.insert(v4("10.0.0.77"), 1);
  EXPECT_FALSE(pools.draw(random));
}

}  // namespace
}  // namespace leasehold::lease
