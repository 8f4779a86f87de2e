// netif against the real kernel, in a network namespace of its own (root only).
#include "netif/netif.h"

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <optional>

#include "netns.h"

namespace leasehold::netif {
namespace {

using leasehold::testing::ScopedNetns;
using leasehold::testing::shell_ok;

net::Address addr(const char* text) { return *net::Address::parse(text); }
net::Prefix prefix(const char* text) { return *net::Prefix::parse(text); }

class NetifTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = leasehold::testing::root_skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
    netns_.emplace();
    ASSERT_TRUE(netns_->ok()) << "cannot enter network namespace " << netns_->name();
    ASSERT_TRUE(ScopedNetns::add_interface(kIf));
  }
  void TearDown() override { netns_.reset(); }

  std::optional<InterfaceAddress> find(const net::Address& a) {
    auto list = list_addresses(kIf);
    EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().message);
    if (!list.ok()) return std::nullopt;
    for (const auto& entry : *list)
      if (entry.address == a) return entry;
    return std::nullopt;
  }

  static constexpr const char* kIf = "lh0";
  std::optional<ScopedNetns> netns_;
};

TEST_F(NetifTest, LinkIndexAndState) {
  auto index = interface_index(kIf);
  ASSERT_TRUE(index.ok()) << index.error().message;
  EXPECT_EQ(*index, if_nametoindex(kIf));
  EXPECT_EQ(link_is_up(kIf).value(), true);
  ASSERT_TRUE(shell_ok(std::string("ip link set ") + kIf + " down"));
  EXPECT_EQ(link_is_up(kIf).value(), false);
}

TEST_F(NetifTest, MissingInterfaceIsNotFound) {
  for (const Error& e : {interface_index("lhnone").error(), list_addresses("lhnone").error(),
                         add_address("lhnone", addr("10.0.0.1"), 32).error(),
                         list_route_prefixes("lhnone").error()})
    EXPECT_EQ(e.code, Errc::not_found) << e.message;
}

TEST_F(NetifTest, AddListRemoveLeasedAddresses) {
  const auto v4 = addr("10.47.0.9");
  const auto v6 = addr("fd00:47::9");
  ASSERT_TRUE(add_address(kIf, v4, 32).ok());
  ASSERT_TRUE(add_address(kIf, v6, 128).ok());
  // Adding again is success, and changes nothing.
  ASSERT_TRUE(add_address(kIf, v4, 32).ok());
  ASSERT_TRUE(add_address(kIf, v6, 128).ok());

  auto a4 = find(v4);
  ASSERT_TRUE(a4);
  EXPECT_EQ(a4->prefix_len, 32);
  EXPECT_EQ(a4->scope, AddressScope::global);
  auto a6 = find(v6);
  ASSERT_TRUE(a6);
  EXPECT_EQ(a6->prefix_len, 128);
  EXPECT_EQ(a6->scope, AddressScope::global);
  EXPECT_FALSE(a6->tentative());  // nodad: usable at once
  EXPECT_TRUE(a6->permanent());

  ASSERT_TRUE(remove_address(kIf, v4, 32).ok());
  ASSERT_TRUE(remove_address(kIf, v6, 128).ok());
  EXPECT_FALSE(find(v4));
  EXPECT_FALSE(find(v6));
  // Removing what is not there is success.
  EXPECT_TRUE(remove_address(kIf, v4, 32).ok());
  EXPECT_TRUE(remove_address(kIf, v6, 128).ok());
}

TEST_F(NetifTest, LinkLocalAddress) {
  const auto ll = addr("fe80::1:2:3:4");
  ASSERT_TRUE(add_address(kIf, ll, 64).ok());
  auto a = find(ll);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scope, AddressScope::link);
  EXPECT_EQ(a->prefix_len, 64);
}

TEST_F(NetifTest, LifetimeIsSetAndRefreshed) {
  const auto v6 = addr("fd00:47::10");
  const auto v4 = addr("10.47.0.10");
  ASSERT_TRUE(add_address(kIf, v6, 128, AddOptions{true, 100}).ok());
  ASSERT_TRUE(add_address(kIf, v4, 32, AddOptions{true, 100}).ok());
  ASSERT_TRUE(find(v6)->valid_lifetime_seconds);
  EXPECT_LE(*find(v6)->valid_lifetime_seconds, 100u);
  EXPECT_LE(*find(v4)->valid_lifetime_seconds, 100u);
  ASSERT_TRUE(add_address(kIf, v6, 128, AddOptions{true, 5000}).ok());
  ASSERT_TRUE(add_address(kIf, v4, 32, AddOptions{true, 5000}).ok());
  EXPECT_GT(*find(v6)->valid_lifetime_seconds, 4000u);
  EXPECT_GT(*find(v4)->valid_lifetime_seconds, 4000u);
  EXPECT_FALSE(find(v6)->permanent());
}

TEST_F(NetifTest, BadPrefixLengthIsRefused) {
  EXPECT_EQ(add_address(kIf, addr("10.0.0.1"), 33).error().code, Errc::invalid_argument);
  EXPECT_EQ(remove_address(kIf, addr("fd00::1"), -1).error().code, Errc::invalid_argument);
}

TEST_F(NetifTest, RoutePrefixesAreThePlainOnes) {
  const std::string dev = std::string(" dev ") + kIf;
  ASSERT_TRUE(shell_ok("ip addr add 10.0.0.1/24" + dev));                 // connected route 10.0.0.0/24
  ASSERT_TRUE(shell_ok("ip -6 addr add fe80::1/64" + dev + " nodad"));     // fe80::/64: skipped
  ASSERT_TRUE(shell_ok("ip route add 10.50.0.0/24" + dev));
  ASSERT_TRUE(shell_ok("ip -6 route add fd00:1::/64" + dev));
  ASSERT_TRUE(shell_ok("ip route add 10.60.0.0/16 via 10.0.0.254"));        // gateway: skipped
  ASSERT_TRUE(shell_ok("ip route add 10.70.0.1/32" + dev));                 // host route: skipped
  ASSERT_TRUE(shell_ok("ip -6 route add fd00:2::7/128" + dev));             // host route: skipped
  ASSERT_TRUE(shell_ok("ip route add default" + dev));                      // default: skipped
  ASSERT_TRUE(shell_ok("ip -6 route add default" + dev));
  ASSERT_TRUE(shell_ok("ip route add 10.80.0.0/24" + dev + " table 100"));  // other table: skipped
  ASSERT_TRUE(shell_ok("ip route add blackhole 10.90.0.0/24"));             // no interface: skipped
  ASSERT_TRUE(shell_ok("ip route add 224.1.0.0/16" + dev));                 // multicast: skipped

  auto prefixes = list_route_prefixes(kIf);
  ASSERT_TRUE(prefixes.ok()) << prefixes.error().message;
  std::vector<net::Prefix> got = *prefixes;
  std::vector<net::Prefix> want = {prefix("10.0.0.0/24"), prefix("10.50.0.0/24"), prefix("fd00:1::/64")};
  auto by_text = [](const net::Prefix& a, const net::Prefix& b) { return a.to_string() < b.to_string(); };
  std::sort(got.begin(), got.end(), by_text);
  std::sort(want.begin(), want.end(), by_text);
  EXPECT_EQ(got, want);
}

TEST_F(NetifTest, AddressesVanishWithTheLinkAndCanBeAddedBack) {
  const auto v6 = addr("fd00:47::11");
  ASSERT_TRUE(add_address(kIf, v6, 128).ok());
  ASSERT_TRUE(shell_ok(std::string("ip link set ") + kIf + " down"));
  EXPECT_FALSE(find(v6));  // what leasehold-client must repair
  ASSERT_TRUE(shell_ok(std::string("ip link set ") + kIf + " up"));
  ASSERT_TRUE(add_address(kIf, v6, 128).ok());
  EXPECT_TRUE(find(v6));
}

}  // namespace
}  // namespace leasehold::netif
