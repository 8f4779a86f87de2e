// netif: the host's network interfaces as leasehold needs them, over rtnetlink (libmnl): link
// state, the addresses on an interface (list, add, remove) and the plain unicast prefixes
// routed through it. Owns no policy: which addresses belong to a lease is the client's, which
// prefixes make pools the server's. Each call opens its own socket and blocks for at most a
// few seconds; calls are safe from any thread. Changes need CAP_NET_ADMIN.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "net/address.h"
#include "netif/types.h"

namespace leasehold::netif {

// Errors: Errc::not_found when there is no such interface; Errc::io for the rest.
Result<LinkInfo> link_info(const std::string& ifname);
Result<unsigned> interface_index(const std::string& ifname);
Result<bool> link_is_up(const std::string& ifname);  // administratively up

// Every IPv4 and IPv6 address on the interface, in the kernel's order.
Result<std::vector<InterfaceAddress>> list_addresses(const std::string& ifname);

// Adds address/prefix_len. An address already there is success; with a lifetime in
// `options`, its lifetime is refreshed. REQUIRES: prefix_len within the address's family.
Status add_address(const std::string& ifname, const net::Address& address, int prefix_len,
                   const AddOptions& options = {});
// Removes address/prefix_len; an address that is not there is success.
Status remove_address(const std::string& ifname, const net::Address& address, int prefix_len);

// The plain unicast prefixes of the main table that leave through the interface (see
// rtnl::pool_prefix for what is skipped), IPv4 first. Other routes are skipped, never an error.
Result<std::vector<net::Prefix>> list_route_prefixes(const std::string& ifname);

}  // namespace leasehold::netif
