#include "server/route_pools.h"

#include <algorithm>

namespace leasehold::server {

std::vector<net::Range> ranges_without(const net::Prefix& prefix, std::span<const net::Address> holes) {
  std::vector<net::Address> inside;
  for (const auto& h : holes)
    if (prefix.contains(h)) inside.push_back(h);
  std::sort(inside.begin(), inside.end());
  inside.erase(std::unique(inside.begin(), inside.end()), inside.end());
  auto make = [&](net::uint128 v) {
    return prefix.family() == net::Family::v4 ? net::Address::v4(static_cast<std::uint32_t>(v)) : net::Address::v6(v);
  };
  std::vector<net::Range> out;
  net::uint128 next = prefix.first().value();
  const net::uint128 last = prefix.last().value();
  for (const auto& h : inside) {
    if (h.value() > next) out.push_back(net::Range{make(next), make(h.value() - 1)});
    next = h.value() + 1;  // cannot wrap: h < last or the loop ends here
    if (h.value() == last) return out;
  }
  out.push_back(net::Range{make(next), make(last)});
  return out;
}

lease::Policy with_route_pools(lease::Policy policy, std::span<const net::Prefix> routes,
                               std::span<const net::Address> own) {
  std::uint32_t next_id = 1;
  for (const auto& s : policy.subnets) next_id = std::max(next_id, s.id + 1);
  for (const auto& route : routes) {
    bool taken = std::any_of(policy.subnets.begin(), policy.subnets.end(), [&](const lease::SubnetSpec& s) {
      return s.prefix.family() == route.family() && (s.prefix.contains(route) || route.contains(s.prefix));
    });
    if (taken) continue;
    lease::SubnetSpec subnet;
    subnet.id = next_id++;
    subnet.prefix = route;
    for (const auto& r : ranges_without(route, own)) subnet.pools.emplace_back(r, false);
    if (!subnet.pools.empty()) policy.subnets.push_back(std::move(subnet));
  }
  return policy;
}

}  // namespace leasehold::server
