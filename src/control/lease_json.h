// Leases in the control API's JSON: Kea's lease objects (ip-address, subnet-id, valid-lft,
// cltt, expire, hostname, state, user-context) with the peer's identifier (public-key)
// in place of Kea's hw-address / duid, and the reads of lease arguments and identifiers
// shared by the lease and reservation commands. Pure: no engine state, no locking.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/dispatcher.h"
#include "lease/engine.h"
#include "lease/lease.h"

namespace leasehold::control {

// "IPv4" / "IPv6", as Kea's texts say it.
std::string family_word(net::Family f);

nlohmann::json lease_to_json(const lease::LeaseRecord& record);

// The address under `key` ("ip-address"), which must be of the command's family.
Result<net::Address> read_address(const Args& args, std::string_view key, net::Family family);

// An identifier-type / identifier pair naming a peer. Only public-key (a WireGuard key,
// base64) names a peer that can hold a lease today; anode-address is refused until Anode
// peers are served.
Result<lease::PublicKey> read_peer_identifier(const Args& args, net::Family family);

// Hostnames as RFC 1123 allows them (labels of letters, digits and hyphens, optional
// trailing dot, at most 253 characters); returned lower-cased. Empty stays empty.
Result<std::string> normalise_hostname(std::string_view hostname);

// lease4-add / lease6-add / -update arguments. The peer is given by "public-key"; Kea's
// other lease keys that mean nothing here (hw-address, client-id, duid, iaid, fqdn-fwd,
// fqdn-rev, preferred-lft, type IA_NA, prefix-len 128) are accepted and ignored.
Result<lease::AdminLease> read_admin_lease(const Args& args, net::Family family);

}  // namespace leasehold::control
