#include "wireguard/peer_directory.h"

#include <gtest/gtest.h>

#include <thread>

#include "fake_device.h"
#include "wireguard/link_local.h"

namespace leasehold::wireguard {
namespace {

using testing::addr;
using testing::key;
using testing::pfx;

TEST(LinkLocal, DerivedFromTheKeyInsideFe80Slash64) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i);
  // SHA-256("leasehold link-local v1" || 00 01 .. 1f), first 8 bytes, computed apart
  // (Python hashlib) so that the documented derivation is what the code does.
  EXPECT_EQ(derived_link_local(lease::PublicKey(bytes)).to_string(), "fe80::531f:ca4e:d0ab:7843");
  EXPECT_NE(derived_link_local(key(1)), derived_link_local(key(2)));
  EXPECT_TRUE(net::Prefix(server_link_local(), 64).contains(derived_link_local(key(3))));
  EXPECT_EQ(server_link_local().to_string(), "fe80::");
}

TEST(LinkLocal, OnlyLinkLocalHostRoutesIdentifyPeers) {
  EXPECT_TRUE(is_link_local_host(pfx("fe80::1/128")));
  EXPECT_TRUE(is_link_local_host(pfx("febf::1/128")));
  EXPECT_FALSE(is_link_local_host(pfx("fe80::/64")));
  EXPECT_FALSE(is_link_local_host(pfx("fd00::1/128")));
  EXPECT_FALSE(is_link_local_host(pfx("10.0.0.1/32")));
}

TEST(WireGuardPeerDirectory, MapsLinkLocalHostEntriesToTheirPeer) {
  auto state = std::make_shared<testing::FakeDevice::State>();
  state->info.peers.push_back({key(1), {pfx("fe80::1/128"), pfx("10.0.0.0/24")}, {}, {}, 0, 0});
  state->info.peers.push_back({key(2), {pfx("fe80::/64"), pfx("fd00::2/128")}, {}, {}, 0, 0});
  WireGuardPeerDirectory dir(std::make_unique<testing::FakeDevice>(state), false);
  ASSERT_TRUE(dir.refresh().ok());
  EXPECT_EQ(dir.find(addr("fe80::1")), key(1));
  // Peer 2 has no link-local /128: a /64 proves nothing about one address.
  EXPECT_EQ(dir.find(addr("fe80::2")), std::nullopt);
  EXPECT_EQ(dir.find(addr("fd00::2")), std::nullopt);
  EXPECT_EQ(dir.size(), 1u);
  EXPECT_TRUE(state->calls.empty());  // not zero-touch: the device is only read
}

TEST(WireGuardPeerDirectory, RefreshesOnAMissAtMostOnceASecond) {
  auto state = std::make_shared<testing::FakeDevice::State>();
  WireGuardPeerDirectory dir(std::make_unique<testing::FakeDevice>(state), false);
  ASSERT_TRUE(dir.refresh().ok());
  int gets = state->gets;
  // A stranger right after a refresh costs no device read.
  EXPECT_EQ(dir.find(addr("fe80::9")), std::nullopt);
  EXPECT_EQ(state->gets, gets);
  // A peer added meanwhile is found by the refresh a miss triggers once a second is over.
  state->info.peers.push_back({key(9), {pfx("fe80::9/128")}, {}, {}, 0, 0});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(dir.find(addr("fe80::9")), key(9));
  EXPECT_EQ(state->gets, gets + 1);
}

TEST(WireGuardPeerDirectory, ZeroTouchGivesEveryPeerItsDerivedLinkLocal) {
  auto state = std::make_shared<testing::FakeDevice::State>();
  state->info.peers.push_back({key(1), {pfx("10.0.0.0/24")}, {}, {}, 0, 0});
  state->info.peers.push_back({key(2), {pfx("fe80::2/128")}, {}, {}, 0, 0});
  WireGuardPeerDirectory dir(std::make_unique<testing::FakeDevice>(state), true);
  ASSERT_TRUE(dir.refresh().ok());
  ASSERT_EQ(state->calls.size(), 1u);
  ASSERT_EQ(state->calls[0].size(), 2u);  // both: peer 2's own /128 does not stop the derived one
  EXPECT_EQ(dir.find(derived_link_local(key(1))), key(1));
  EXPECT_EQ(dir.find(derived_link_local(key(2))), key(2));
  EXPECT_EQ(dir.find(addr("fe80::2")), key(2));
  EXPECT_EQ(state->info.peers[0].allowed_ips.back(), net::Prefix(derived_link_local(key(1)), 128));
  // Already there: the next refresh changes nothing.
  ASSERT_TRUE(dir.refresh().ok());
  EXPECT_EQ(state->calls.size(), 1u);
}

TEST(WireGuardPeerDirectory, KeepsTheLastGoodMapWhenTheDeviceFails) {
  auto state = std::make_shared<testing::FakeDevice::State>();
  state->info.peers.push_back({key(1), {pfx("fe80::1/128")}, {}, {}, 0, 0});
  WireGuardPeerDirectory dir(std::make_unique<testing::FakeDevice>(state), false);
  ASSERT_TRUE(dir.refresh().ok());
  state->fail = true;
  EXPECT_FALSE(dir.refresh().ok());
  EXPECT_EQ(dir.find(addr("fe80::1")), key(1));
}

}  // namespace
}  // namespace leasehold::wireguard
