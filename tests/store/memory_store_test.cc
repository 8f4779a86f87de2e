// What MemoryStore adds to the LeaseStore contract (the contract itself is in
// lease_store_test.cc): the fail_next_apply() test hook.
#include "store/memory_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace leasehold::store {
namespace {

using lease::LeaseChange;
using lease::LeaseRecord;

LeaseChange grant(std::uint32_t address) {
  LeaseRecord r;
  r.address = net::Address::v4(address);
  r.cltt = 1000;
  r.valid_lifetime = 60;
  return LeaseChange{LeaseChange::Kind::grant, r};
}

std::size_t count_rows(MemoryStore& store) {
  std::size_t n = 0;
  EXPECT_TRUE(store.load([&](const LeaseRecord&) { ++n; }).ok());
  return n;
}

TEST(MemoryStore, FailNextApplyFailsExactlyOnce) {
  MemoryStore store;
  store.fail_next_apply(make_error(Errc::io, "disk on fire"));
  std::vector<LeaseChange> batch = {grant(1), grant(2)};
  auto status = store.apply(batch);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::io);
  EXPECT_EQ(status.error().message, "disk on fire");
  EXPECT_EQ(count_rows(store), 0u);

  EXPECT_TRUE(store.apply(batch).ok());
  EXPECT_EQ(count_rows(store), 2u);
}

TEST(MemoryStore, FailNextApplyAlsoFailsAnEmptyBatch) {
  MemoryStore store;
  store.fail_next_apply(make_error(Errc::unavailable, "later"));
  auto status = store.apply({});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::unavailable);
  EXPECT_TRUE(store.apply({}).ok());
}

}  // namespace
}  // namespace leasehold::store
