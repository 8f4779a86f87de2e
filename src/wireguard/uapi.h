// wireguard UAPI codec: the text protocol of userspace WireGuard (wireguard-go, boringtun) on
// /var/run/wireguard/<if>.sock, as described at wireguard.com/xplatform. Owns request text
// and the parsing of replies; does no I/O (the socket client lives elsewhere). Pure: safe
// from any thread. Private and preshared keys are validated and dropped, never kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lease/public_key.h"
#include "net/address.h"
#include "wireguard/types.h"

namespace leasehold::wireguard {

// Limits on a reply; anything beyond is refused, never truncated.
inline constexpr std::size_t kMaxLines = 1'000'000;
inline constexpr std::size_t kMaxPeers = 1'000'000;
inline constexpr std::size_t kKeyHexSize = 2 * lease::PublicKey::kSize;  // 64

// Hex form of a 32-byte key as the protocol writes it: 64 lowercase hex digits.
std::string key_to_hex(const lease::PublicKey& key);
// Exactly 64 hex digits (either case); error "bad key hex" otherwise.
Result<lease::PublicKey> key_from_hex(std::string_view text);

// "get=1\n\n"
std::string get_request();

// Adds prefixes to an existing peer: "set=1\npublic_key=<hex>\nupdate_only=true\n"
// + "allowed_ip=<a/b>\n" per prefix + "\n". update_only keeps a peer that an admin removed
// from being re-created; without replace_allowed_ips the peer's other prefixes stay.
std::string add_allowed_ips_request(const lease::PublicKey& key, std::span<const net::Prefix> ips);

// Removes single prefixes from a peer with "allowed_ip=-<a/b>", leaving its other prefixes.
// Supported since wireguard-go commit 256bcbd (May 2025, "device: add support for removing
// allowedips individually"; the kernel gained WGALLOWEDIP_F_REMOVE_ME at the same time).
// Older implementations reject the line with errno=-22 (EINVAL); fall back to
// replace_allowed_ips_request() then.
std::string remove_allowed_ips_request(const lease::PublicKey& key,
                                       std::span<const net::Prefix> ips);

// One request for many peers: every removal ("allowed_ip=-") first, then every addition,
// all update-only.
std::string update_request(std::span<const AllowedIpsUpdate> updates);

// The same for implementations without single removal: a peer that loses entries gets
// replace_allowed_ips with what it keeps (lists_after_removals()) plus its additions; other
// peers only add.
std::string replace_update_request(std::span<const AllowedIpsUpdate> updates, const DeviceInfo& current);

// Sets a peer's whole allowed-ips list: "replace_allowed_ips=true" then every prefix in
// `remaining`. Works on every implementation but races with other writers of that peer.
std::string replace_allowed_ips_request(const lease::PublicKey& key,
                                        std::span<const net::Prefix> remaining);

// The reply to get_request(): device keys, then per peer "public_key=" and its keys, then
// "errno=N\n\n" and nothing after. Unknown keys are skipped. Malformed text gives
// Errc::corruption with a short lowercase message ("bad public_key hex"); a well-formed
// reply with errno != 0 gives Errc::io, whose number device_errno() returns.
Result<DeviceInfo> parse_get_response(std::string_view text);

// The reply to a set request: exactly "errno=N\n\n". Returns N (0 on success, the
// implementation's error, e.g. -22, otherwise); malformed text is Errc::corruption.
Result<int> parse_set_response(std::string_view text);

// The errno carried by a parse_get_response() error, if it came from the device.
std::optional<int> device_errno(const Error& error);

}  // namespace leasehold::wireguard
