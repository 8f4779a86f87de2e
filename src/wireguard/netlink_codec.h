// WireGuard generic netlink codec: builds the kernel's request messages (family lookup,
// WG_CMD_GET_DEVICE dump, WG_CMD_SET_DEVICE allowed-ips changes) and decodes its replies
// into DeviceInfo. Owns the wire layout only; no sockets, no logging (netlink_device does
// the I/O). Pure: safe from any thread. Private and preshared keys are size-checked and
// dropped, never kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "wireguard/types.h"

namespace leasehold::wireguard::netlink {

using Message = std::vector<std::byte>;

// WGALLOWEDIP_A_FLAGS / WGALLOWEDIP_F_REMOVE_ME first shipped in Linux 6.16: commit
// ba3d7b93dbe3 "wireguard: allowedips: add WGALLOWEDIP_F_REMOVE_ME flag" (Jordan Rife),
// merged through net-next-6.16 ("[GIT PULL] Networking for v6.16", 2025-05-28).
inline constexpr int kRemoveFlagKernelMajor = 6;
inline constexpr int kRemoveFlagKernelMinor = 16;

// SET_DEVICE requests are split to stay within this many bytes each (MNL_SOCKET_BUFFER_SIZE
// on 4 KiB pages, as wireguard-tools does); smaller limits are raised to kMinSetMessageSize.
inline constexpr std::size_t kSetMessageSize = 4096;
inline constexpr std::size_t kMinSetMessageSize = 256;
// The kernel never sends a netlink datagram bigger than 32 KiB (netlink_recvmsg caps its
// dump allocation there), so a buffer this size never truncates.
inline constexpr std::size_t kReceiveBufferSize = 32768;

struct Family {
  std::uint16_t id = 0;
  std::uint32_t version = 0;  // CTRL_ATTR_VERSION (WG_GENL_VERSION, 1 so far)
};

// Where a datagram stands: the messages for the awaited sequence number were all there
// (done), or only earlier replies (stale leftovers of an aborted exchange) were seen.
enum class Progress { more, done };

// CTRL_CMD_GETFAMILY for "wireguard" (NLM_F_REQUEST only: the reply is one message).
Message encode_get_family(std::uint32_t seq);
// One reply datagram to encode_get_family(seq). nullopt if it held only stale messages.
// The kernel's ENOENT becomes Errc::not_found "no kernel WireGuard (generic netlink family
// 'wireguard' not found)"; other kernel errors Errc::io with the strerror text.
Result<std::optional<Family>> decode_get_family(std::span<const std::byte> datagram, std::uint32_t seq);

// WG_CMD_GET_DEVICE dump request (NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, WGDEVICE_A_IFNAME).
// REQUIRES: ifname is 1-15 bytes without NUL.
Message encode_get_device(const Family& family, std::uint32_t seq, std::string_view ifname);

// Folds the datagrams of a GET_DEVICE dump into one DeviceInfo. The kernel may spread a
// device over several messages, and one peer's allowed-ips too: a message whose first peer
// repeats the previous message's last public key continues that peer.
// Errors: malformed bytes are Errc::corruption (short lowercase message); a kernel error is
// Errc::io (strerror text); a dump the kernel flagged NLM_F_DUMP_INTR (the device changed
// meanwhile) is Errc::unavailable: ask again.
class DumpDecoder {
 public:
  DumpDecoder(std::uint16_t family_id, std::uint32_t seq) : family_id_(family_id), seq_(seq) {}
  // One received datagram. Returns done once NLMSG_DONE arrived; feed nothing after that.
  Result<Progress> feed(std::span<const std::byte> datagram);
  // REQUIRES: feed() returned done.
  Result<DeviceInfo> finish();

 private:
  Status apply_message(std::span<const std::byte> message);
  Status apply_peer(const PeerInfo& peer, bool first_in_message);

  std::uint16_t family_id_;
  std::uint32_t seq_;
  bool done_ = false;
  DeviceInfo info_;
};

// A whole dump (its datagrams back to back) at once; for tests and the fuzzer. Input that
// ends before NLMSG_DONE is corruption ("dump not terminated").
Result<DeviceInfo> decode_device_dump(std::span<const std::byte> datagrams, std::uint16_t family_id,
                                      std::uint32_t seq);

// One allowed-ips entry of a SET_DEVICE request; `remove` sends WGALLOWEDIP_F_REMOVE_ME.
struct AllowedIpChange {
  net::Prefix prefix;
  bool remove = false;
  friend bool operator==(const AllowedIpChange&, const AllowedIpChange&) = default;
};

// One peer of a SET_DEVICE request. WGPEER_F_UPDATE_ONLY is always set, so a peer an admin
// removed is never re-created. With replace_allowed_ips the entries become the peer's whole
// list (WGPEER_F_REPLACE_ALLOWEDIPS, first message of the peer only).
struct PeerChange {
  lease::PublicKey key;
  bool replace_allowed_ips = false;
  std::vector<AllowedIpChange> allowed_ips;
  friend bool operator==(const PeerChange&, const PeerChange&) = default;
};

// How single allowed-ips leave a peer: WGALLOWEDIP_F_REMOVE_ME (Linux >= 6.16), or on older
// kernels REPLACE_ALLOWEDIPS with the peer's remaining list (racy against other writers of
// that peer between the get() that read the list and the set).
enum class RemovalMode { remove_flag, replace_list };

// The peer changes that carry out `updates`: every removal (of every peer) before any
// addition. replace_list uses `current` (a get() of the device) for the remaining lists and
// skips peers it does not list or that hold none of the prefixes to remove.
// REQUIRES: current != nullptr when mode == replace_list and some update removes.
std::vector<PeerChange> plan_changes(std::span<const AllowedIpsUpdate> updates, RemovalMode mode,
                                     const DeviceInfo* current);

// WG_CMD_SET_DEVICE messages (NLM_F_REQUEST | NLM_F_ACK) applying `changes` in order, each at
// most max_message_size bytes, numbered first_seq, first_seq + 1, ... A peer whose entries do
// not fit continues in the next message without REPLACE_ALLOWEDIPS, so a continuation never
// wipes what the previous message set. Peers with nothing to do are left out.
// REQUIRES: ifname is 1-15 bytes without NUL.
std::vector<Message> encode_set_device(const Family& family, std::uint32_t first_seq, std::string_view ifname,
                                       std::span<const PeerChange> changes,
                                       std::size_t max_message_size = kSetMessageSize);

// The NLMSG_ERROR acknowledging request `seq`: done when it reports success, Errc::io with
// the strerror text when the kernel refused; more if the datagram held only stale messages.
Result<Progress> decode_ack(std::span<const std::byte> datagram, std::uint32_t seq);

// True if a kernel of this release (uname -r, e.g. "6.16.3-arch1") understands
// WGALLOWEDIP_F_REMOVE_ME. Unparsable text gives false: the REPLACE fallback works anywhere.
bool kernel_supports_remove_flag(std::string_view release);

}  // namespace leasehold::wireguard::netlink
