// The plain values WireGuard device access deals in: a device's peers as read, and changes
// to one peer's allowed-ips. Shared by the UAPI and netlink backends.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lease/public_key.h"
#include "net/address.h"

namespace leasehold::wireguard {

struct PeerInfo {
  lease::PublicKey key;
  std::vector<net::Prefix> allowed_ips;
  std::string endpoint;                                 // "ip:port" or "[ip6]:port"; empty if none
  std::optional<std::uint64_t> last_handshake_seconds;  // Unix time; 0 means never
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
};

struct DeviceInfo {
  std::optional<lease::PublicKey> public_key;  // the device's own (UAPI: from private_key)
  std::optional<std::uint16_t> listen_port;
  std::vector<PeerInfo> peers;  // in reply order; public keys are unique
};

// Changes to one existing peer's allowed-ips. Single entries only: the peer's other
// allowed-ips stay, and a peer that is not there (an admin removed it) is not re-created.
struct AllowedIpsUpdate {
  lease::PublicKey key;
  std::vector<net::Prefix> add;
  std::vector<net::Prefix> remove;
  friend bool operator==(const AllowedIpsUpdate&, const AllowedIpsUpdate&) = default;
};

// True if any update takes entries away.
bool has_removals(std::span<const AllowedIpsUpdate> updates);

// For implementations that cannot remove single entries: every peer of `current` that
// really loses entries to `updates`, with the list it keeps, in first-update order. A
// peer's removals across all updates are merged, because two whole-list replaces of one
// peer would undo each other's removals.
struct KeptList {
  lease::PublicKey key;
  std::vector<net::Prefix> keep;
};
std::vector<KeptList> lists_after_removals(std::span<const AllowedIpsUpdate> updates, const DeviceInfo& current);

}  // namespace leasehold::wireguard
