// bench_allocator: does granting a lease get slower as the pool fills up?
// For each fill level of an IPv4 pool it measures, in one run:
//   allocator  - PoolSet::draw + insert alone (the O(log n) uniform draw),
//   grant      - a whole Engine::request for a new peer (hash index, slot, expiry heap too),
// each as the best of several rounds of 1000 operations, and divides by the empty pool.
// A control row holds the same number of leases in a 16x larger pool, so the effect of the
// fill level can be told apart from the effect of a bigger working set (cache misses).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "lease/engine.h"

using namespace leasehold;

namespace {

constexpr std::uint32_t kBatch = 1000;
constexpr int kRounds = 15;

lease::PublicKey key_of(std::uint32_t n) {
  std::array<std::uint8_t, 32> b{};
  for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  b[31] = 0xa5;
  return lease::PublicKey(b);
}

// Allocator alone: fill to `used`, then time batches of draw + insert (an allocation);
// each batch is undone, untimed, so the fill level stays put.
double allocator_ns(const char* pool, std::uint64_t used) {
  lease::PoolSet<std::uint32_t> pools(net::Family::v4);
  pools.reset({lease::PoolSpec{*net::Range::parse(pool), 1}});
  lease::SeededRandom random(7);
  for (std::uint64_t i = 0; i < used; ++i) pools.insert(*pools.draw(random), 1);
  std::vector<net::Address> taken(kBatch);
  double best = 1e18;
  for (int r = 0; r < kRounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < kBatch; ++i) {
      taken[i] = *pools.draw(random);
      pools.insert(taken[i], 1);
    }
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kBatch);
    for (const auto& a : taken) pools.erase(a);
  }
  return best;
}

// Whole engine grant for new peers (IPv4 only), leases released again after each batch.
double grant_ns(const char* pool, std::uint64_t used) {
  lease::SystemClock clock;
  lease::SeededRandom random(2024);
  lease::ChangeFeed feed;
  lease::Engine engine(clock, random, feed);
  lease::Policy policy;
  policy.valid_lifetime = policy.min_valid_lifetime = policy.max_valid_lifetime = 86400;
  policy.subnets.push_back({1, *net::Prefix::parse("10.0.0.0/8"), {*lease::PoolDef::parse(pool)}});
  if (!engine.configure(policy).ok()) return -1;
  std::uint32_t next = 0;
  lease::LeaseRequest req;
  req.v6.intent = lease::Intent::release;
  while (engine.binding_count() < used) {
    req.key = key_of(next++);
    engine.request(req);
  }
  lease::LeaseRequest drop;
  drop.v4.intent = drop.v6.intent = lease::Intent::release;
  double best = 1e18;
  for (int r = 0; r < kRounds; ++r) {
    std::uint32_t first = next;
    auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < kBatch; ++i) {
      req.key = key_of(next++);
      engine.request(req);
    }
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kBatch);
    for (std::uint32_t p = first; p < next; ++p) {
      drop.key = key_of(p);
      engine.request(drop);
    }
  }
  return best;
}

}  // namespace

int main() {
  const char* pool = "10.0.0.0/12";
  const char* big_pool = "10.0.0.0/8";
  const double size = 1048576.0;
  std::printf("allocation latency vs pool use (IPv4 pool %s, %.0f addresses; best of %d x %u operations)\n", pool,
              size, kRounds, kBatch);
  std::printf("%-9s %9s | %13s %8s | %11s %8s | %s\n", "pool use", "leases", "allocator ns", "vs empty",
              "grant ns", "vs empty", "note");
  double alloc_empty = allocator_ns(pool, 0), grant_empty = grant_ns(pool, 0);
  for (double level : {0.0, 0.5, 0.9, 0.99, 0.999}) {
    auto used = static_cast<std::uint64_t>(level * (size - 2));
    double a = level == 0 ? alloc_empty : allocator_ns(pool, used);
    double g = level == 0 ? grant_empty : grant_ns(pool, used);
    std::printf("%8.1f%% %9llu | %13.0f %7.2fx | %11.0f %7.2fx |\n", level * 100, static_cast<unsigned long long>(used),
                a, a / alloc_empty, g, g / grant_empty);
  }
  auto used = static_cast<std::uint64_t>(0.999 * (size - 2));
  double a_ctl = allocator_ns(big_pool, used), g_ctl = grant_ns(big_pool, used);
  std::printf("%8.1f%% %9llu | %13.0f %7.2fx | %11.0f %7.2fx | control: same leases in %s\n",
              100.0 * static_cast<double>(used) / 16777214.0, static_cast<unsigned long long>(used), a_ctl,
              a_ctl / alloc_empty, g_ctl, g_ctl / grant_empty, big_pool);
  std::printf("99.9%% use vs the control (fill level alone): allocator %.2fx, grant %.2fx\n",
              allocator_ns(pool, used) / a_ctl, grant_ns(pool, used) / g_ctl);
  std::printf("target (issue 2): allocation latency at 99.9%% use within 2x of an empty pool\n");
  return 0;
}
