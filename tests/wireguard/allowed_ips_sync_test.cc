#include "wireguard/allowed_ips_sync.h"

#include <gtest/gtest.h>

#include "fake_device.h"

namespace leasehold::wireguard {
namespace {

using lease::LeaseChange;
using Kind = lease::LeaseChange::Kind;

using testing::addr;
using testing::key;
using testing::pfx;

LeaseChange change(Kind kind, std::uint8_t k, const char* a) {
  LeaseChange c{kind, {}};
  c.record.key = key(k);
  c.record.address = addr(a);
  return c;
}

std::vector<net::Prefix> ips_of(const DeviceInfo& info, std::uint8_t k) {
  for (const auto& p : info.peers)
    if (p.key == key(k)) return p.allowed_ips;
  return {};
}

TEST(UpdatesFor, GrantAndRenewAddReleaseExpireRemoveTakeAway) {
  std::vector<LeaseChange> changes = {change(Kind::grant, 1, "10.0.0.5"), change(Kind::renew, 2, "fd00::9"),
                                      change(Kind::release, 3, "10.0.0.7"), change(Kind::expire, 3, "fd00::7"),
                                      change(Kind::remove, 4, "10.0.0.8")};
  auto u = updates_for(changes);
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0], (AllowedIpsUpdate{key(1), {pfx("10.0.0.5/32")}, {}}));
  EXPECT_EQ(u[1], (AllowedIpsUpdate{key(2), {pfx("fd00::9/128")}, {}}));
  EXPECT_EQ(u[2], (AllowedIpsUpdate{key(3), {}, {pfx("10.0.0.7/32"), pfx("fd00::7/128")}}));
  EXPECT_EQ(u[3], (AllowedIpsUpdate{key(4), {}, {pfx("10.0.0.8/32")}}));
}

TEST(UpdatesFor, LastChangeOfAnAddressWins) {
  std::vector<LeaseChange> changes = {change(Kind::grant, 1, "10.0.0.5"), change(Kind::release, 1, "10.0.0.5"),
                                      change(Kind::grant, 2, "10.0.0.5"), change(Kind::expire, 2, "10.0.0.6"),
                                      change(Kind::grant, 2, "10.0.0.6")};
  auto u = updates_for(changes);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0], (AllowedIpsUpdate{key(1), {}, {pfx("10.0.0.5/32")}}));
  EXPECT_EQ(u[1], (AllowedIpsUpdate{key(2), {pfx("10.0.0.5/32"), pfx("10.0.0.6/32")}, {}}));
}

TEST(ReconcilePlan, AddsMissingRemovesStaleLeavesForeignEntries) {
  DeviceInfo device;
  device.peers.push_back({key(1), {pfx("fe80::1/128"), pfx("10.0.0.9/32"), pfx("192.168.5.0/24")}, {}, {}, 0, 0});
  device.peers.push_back({key(2), {pfx("10.0.0.0/28"), pfx("172.16.0.1/32"), pfx("fd00::2/128")}, {}, {}, 0, 0});
  device.peers.push_back({key(3), {}, {}, {}, 0, 0});
  std::vector<LiveAddress> live = {{key(1), addr("10.0.0.5")}, {key(2), addr("fd00::2")}, {key(9), addr("10.0.0.99")}};
  std::vector<net::Prefix> space = {pfx("10.0.0.0/24"), pfx("fd00::/64")};
  auto plan = reconcile_plan(device, live, space);
  // Peer 1: its lease added, a stale lease address removed, the link-local and a foreign
  // route kept. Peer 2: a /28 inside the lease space is not a lease address; kept. Peer 3
  // and the unknown peer 9: nothing.
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0], (AllowedIpsUpdate{key(1), {pfx("10.0.0.5/32")}, {pfx("10.0.0.9/32")}}));
}

TEST(AllowedIpsSync, AppliesCommittedChangesAndReconcilesAfterAFailure) {
  auto state = std::make_shared<testing::FakeDevice::State>();
  state->info.peers.push_back({key(1), {pfx("fe80::1/128"), pfx("10.0.0.200/32")}, {}, {}, 0, 0});
  state->info.peers.push_back({key(2), {pfx("fe80::2/128")}, {}, {}, 0, 0});
  std::vector<LiveAddress> live = {{key(1), addr("10.0.0.5")}};
  AllowedIpsSync sync(std::make_unique<testing::FakeDevice>(state), {pfx("10.0.0.0/24"), pfx("fd00::/64")},
                      [&] { return live; });
  ASSERT_TRUE(sync.reconcile().ok());
  EXPECT_EQ(ips_of(state->info, 1), (std::vector{pfx("fe80::1/128"), pfx("10.0.0.5/32")}));
  EXPECT_EQ(sync.stats().added, 1u);
  EXPECT_EQ(sync.stats().removed, 1u);

  std::vector<LeaseChange> batch = {change(Kind::grant, 2, "10.0.0.6"), change(Kind::grant, 2, "fd00::6")};
  ASSERT_TRUE(sync.apply(batch).ok());
  EXPECT_EQ(ips_of(state->info, 2), (std::vector{pfx("fe80::2/128"), pfx("10.0.0.6/32"), pfx("fd00::6/128")}));

  // The device goes away: the apply fails and the sync is dirty; the next apply does a full
  // reconcile from the live set instead of trusting the lost batch.
  state->fail = true;
  std::vector<LeaseChange> lost = {change(Kind::expire, 1, "10.0.0.5")};
  EXPECT_FALSE(sync.apply(lost).ok());
  EXPECT_TRUE(sync.dirty());
  state->fail = false;
  live = {{key(2), addr("10.0.0.6")}, {key(2), addr("fd00::6")}};
  sync.retry_if_dirty();
  EXPECT_FALSE(sync.dirty());
  EXPECT_EQ(ips_of(state->info, 1), (std::vector{pfx("fe80::1/128")}));
}

}  // namespace
}  // namespace leasehold::wireguard
