// Route pools: upstream wg-dynamic's way of configuring pools, kept as an option
// ("wireguard": {"pools-from-routes": true}). Every plain unicast prefix routed through the
// WireGuard interface becomes a subnet whose pool is the whole prefix, less the addresses
// the interface itself has. Routes that are not plain prefixes are skipped (netif decides).
// Pure: the routes and addresses are read by the caller.
#pragma once

#include <span>
#include <vector>

#include "lease/engine.h"
#include "net/address.h"

namespace leasehold::server {

// Adds a subnet per route prefix that no configured subnet overlaps, numbered after the
// highest configured subnet id in route order. `own` are the interface's own addresses;
// they are cut out of the pools.
lease::Policy with_route_pools(lease::Policy policy, std::span<const net::Prefix> routes,
                               std::span<const net::Address> own);

// The ranges of `prefix` that remain after taking out `holes` (sorted, none empty).
std::vector<net::Range> ranges_without(const net::Prefix& prefix, std::span<const net::Address> holes);

}  // namespace leasehold::server
