// libFuzzer target for the rtnetlink reply decoder (src/netif/rtnl_codec.h): walks the input
// as one reply datagram, decodes every message by its type, and traps when an invariant of
// the decoded values breaks.
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "netif/rtnl_codec.h"

namespace {

using namespace leasehold;
using namespace leasehold::netif;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

Status decode(std::span<const std::byte> message) {
  check(message.size() >= 16);
  std::uint16_t type = 0;
  __builtin_memcpy(&type, message.data() + 4, sizeof type);
  switch (type) {
    case RTM_NEWLINK: (void)rtnl::decode_link(message); break;
    case RTM_NEWADDR:
      if (auto a = rtnl::decode_address(message); a.ok() && a->has_value())
        check((*a)->prefix_len >= 0 && (*a)->prefix_len <= net::family_bits((*a)->address.family()));
      break;
    case RTM_NEWROUTE:
      if (auto r = rtnl::decode_route(message); r.ok() && r->has_value()) {
        const RouteEntry& route = **r;
        check(route.destination.first() == route.destination.address());  // no host bits
        for (unsigned ifindex : {0u, 1u, route.oif}) {
          auto pool = rtnl::pool_prefix(route, ifindex);
          if (!pool) continue;
          const int bits = net::family_bits(pool->family());
          check(ifindex != 0 && pool->length() > 0 && pool->length() < bits && !route.has_gateway);
        }
      }
      break;
    default: break;
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(data), size);
  auto progress = rtnl::parse_reply(datagram, 1, 1, decode);
  if (progress.ok()) check(progress->error >= 0);
  return 0;
}
