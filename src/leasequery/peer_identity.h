// The documented, reversible mapping of a peer's public key to the identifiers DHCP
// leasequery carries: a DHCPv6 DUID and a DHCPv4 client identifier (docs/leasequery.md).
//   DUID = DUID-EN: type 2, enterprise number 32473 (RFC 5612's documentation number),
//          identifier = kind octet (1: WireGuard public key) + the 32 key octets (39 octets).
//   DHCPv4 client identifier = 255, IAID 0 (4 octets), the DUID (RFC 4361 form, 44 octets).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "lease/public_key.h"

namespace leasehold::leasequery {

inline constexpr std::uint32_t kPeerEnterpriseNumber = 32473;
inline constexpr std::uint8_t kPeerKindWireGuard = 1;

std::vector<std::uint8_t> duid_of(const lease::PublicKey& key);
Result<lease::PublicKey> peer_of_duid(std::span<const std::uint8_t> duid);
std::vector<std::uint8_t> client_id_of(const lease::PublicKey& key);
Result<lease::PublicKey> peer_of_client_id(std::span<const std::uint8_t> client_id);

}  // namespace leasehold::leasequery
