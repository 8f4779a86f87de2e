// Zero-touch link-local addresses: the IPv6 link-local /128 a peer speaks request_ip from,
// derived from its WireGuard public key so that neither side has to be told it.
//   interface id = the first 8 bytes of SHA-256("leasehold link-local v1" || public key)
//   address      = fe80::/64 followed by that interface id
// An interface id of 0 (fe80::, the server's own address) becomes 1. Server and client
// compute the same address from the same key; see docs/wireguard.md.
#pragma once

#include "lease/public_key.h"
#include "net/address.h"

namespace leasehold::wireguard {

net::Address derived_link_local(const lease::PublicKey& key);

// fe80:: itself, where the server listens on a WireGuard interface.
net::Address server_link_local();

}  // namespace leasehold::wireguard
