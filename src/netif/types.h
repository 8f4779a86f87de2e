// The plain values netif deals in: an interface's link state, its addresses as the kernel
// reports them, its routes, and how to add an address. Shared by the codec and the socket part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/address.h"

namespace leasehold::netif {

struct LinkInfo {
  unsigned index = 0;
  std::string name;
  std::uint32_t flags = 0;  // IFF_* (net/if.h)
  bool up() const;          // administratively up (IFF_UP)
  bool running() const;     // operationally up (IFF_RUNNING)
};

enum class AddressScope : std::uint8_t { global, site, link, host, other };
const char* scope_name(AddressScope scope);

struct InterfaceAddress {
  net::Address address;
  int prefix_len = 0;
  AddressScope scope = AddressScope::global;
  std::uint32_t flags = 0;  // IFA_F_* (linux/if_addr.h): tentative, nodad, permanent, ...
  unsigned ifindex = 0;
  std::optional<std::uint32_t> valid_lifetime_seconds;  // none: forever

  bool tentative() const;
  bool permanent() const;
  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

// One route as dumped, before any judgement of whether it is a pool prefix.
struct RouteEntry {
  net::Prefix destination;    // 0.0.0.0/0 or ::/0 for a default route
  std::uint32_t table = 0;    // RT_TABLE_* (RTA_TABLE when present)
  std::uint8_t type = 0;      // RTN_* (unicast, local, multicast, blackhole...)
  std::uint8_t protocol = 0;  // RTPROT_* (kernel, boot, static...)
  std::uint8_t scope = 0;     // RT_SCOPE_*
  std::uint32_t flags = 0;    // RTM_F_* (cloned...)
  unsigned oif = 0;           // output interface; 0 if none (multipath routes)
  bool has_gateway = false;   // RTA_GATEWAY or RTA_VIA
  bool multipath = false;     // RTA_MULTIPATH
};

struct AddOptions {
  // Skip duplicate address detection, so an IPv6 address is usable at once (WireGuard
  // interfaces have no link layer to detect duplicates on anyway).
  bool nodad = true;
  // A finite lifetime makes the kernel remove the address by itself when it runs out, and
  // turns "add" into "add or refresh the lifetime" of an address already there.
  std::optional<std::uint32_t> valid_lifetime_seconds;
};

}  // namespace leasehold::netif
