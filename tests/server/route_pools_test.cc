#include "server/route_pools.h"

#include <gtest/gtest.h>

namespace leasehold::server {
namespace {

net::Prefix pfx(const char* t) { return *net::Prefix::parse(t); }
net::Address addr(const char* t) { return *net::Address::parse(t); }

TEST(RoutePools, CutsTheInterfaceAddressesOut) {
  std::vector<net::Address> own = {addr("10.66.0.1"), addr("10.66.0.255"), addr("10.99.0.1"), addr("10.66.0.1")};
  auto r = ranges_without(pfx("10.66.0.0/24"), own);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].to_string(), "10.66.0.0-10.66.0.0");
  EXPECT_EQ(r[1].to_string(), "10.66.0.2-10.66.0.254");
  EXPECT_EQ(ranges_without(pfx("fd66::/64"), {}).front().to_string(), "fd66::-fd66::ffff:ffff:ffff:ffff");
  std::vector<net::Address> first = {addr("fd66::")};
  EXPECT_EQ(ranges_without(pfx("fd66::/127"), first).front().to_string(), "fd66::1-fd66::1");
}

TEST(RoutePools, RoutesBecomeSubnetsAfterTheConfiguredOnes) {
  lease::Policy policy;
  policy.subnets.push_back(lease::SubnetSpec{7, pfx("10.66.0.0/24"), {lease::PoolDef(*net::Range::parse("10.66.0.10-10.66.0.20"))}});
  std::vector<net::Prefix> routes = {pfx("10.66.0.0/25"), pfx("10.67.0.0/24"), pfx("fd67::/64")};
  std::vector<net::Address> own = {addr("10.67.0.1")};
  auto out = with_route_pools(policy, routes, own);
  ASSERT_EQ(out.subnets.size(), 3u);  // 10.66.0.0/25 overlaps subnet 7: skipped
  EXPECT_EQ(out.subnets[1].id, 8u);
  EXPECT_EQ(out.subnets[1].prefix, pfx("10.67.0.0/24"));
  ASSERT_EQ(out.subnets[1].pools.size(), 2u);
  EXPECT_EQ(out.subnets[2].id, 9u);
  EXPECT_TRUE(lease::validate_policy(out).ok());
  auto pools = lease::effective_pools(out, net::Family::v4);
  // The network and broadcast addresses of the route's subnet are never handed out.
  for (const auto& p : pools) {
    EXPECT_FALSE(p.range.contains(addr("10.67.0.0")));
    EXPECT_FALSE(p.range.contains(addr("10.67.0.255")));
    EXPECT_FALSE(p.range.contains(addr("10.67.0.1")));
  }
}

}  // namespace
}  // namespace leasehold::server
