// libFuzzer target for the generic netlink codec (src/wireguard/netlink_codec): decodes the
// input as a GET_DEVICE dump (whole, and as two datagrams split where the first byte says),
// as a family reply and as an ACK, checks what a successful decode promises, and re-encodes
// the peers it read as SET_DEVICE messages. Traps when an invariant breaks.
// Seeds (fuzz/corpus/wireguard_netlink) use family id kFamilyId and sequence number kSeq.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wireguard/netlink_codec.h"
#include "wireguard/uapi.h"

namespace {

using namespace leasehold;
using namespace leasehold::wireguard;
using namespace leasehold::wireguard::netlink;

constexpr std::uint16_t kFamilyId = 0x1b;
constexpr std::uint32_t kSeq = 1;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_error(const Error& error) {
  check(!error.message.empty() && error.message.size() < 80);
  check(error.code == Errc::corruption || error.code == Errc::io || error.code == Errc::unavailable ||
        error.code == Errc::not_found);
}

void check_device(const DeviceInfo& device) {
  check(device.peers.size() <= kMaxPeers);
  for (std::size_t i = 0; i < device.peers.size(); ++i) {
    const PeerInfo& peer = device.peers[i];
    check(peer.endpoint.size() <= 64);
    for (const net::Prefix& ip : peer.allowed_ips) {
      check(ip.length() >= 0 && ip.length() <= net::family_bits(ip.family()));
      check(ip.first() == ip.address());  // host bits are zero
    }
    for (std::size_t j = 0; j < i; ++j) check(!(device.peers[j].key == peer.key));
    if (i > 64) break;  // the quadratic key check stays cheap
  }
}

// The peers just read, written back as one replace per peer: every message within the
// limit, numbered in order, and acknowledged by nothing but an NLMSG_ERROR.
void check_reencode(const DeviceInfo& device) {
  std::vector<PeerChange> changes;
  for (const PeerInfo& peer : device.peers) {
    PeerChange change{peer.key, true, {}};
    for (const net::Prefix& ip : peer.allowed_ips) change.allowed_ips.push_back({ip, false});
    changes.push_back(std::move(change));
  }
  const auto messages = encode_set_device(Family{kFamilyId, 1}, kSeq, "wg0", changes, kMinSetMessageSize);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    check(messages[i].size() <= kMinSetMessageSize);
    auto ack = decode_ack(messages[i], static_cast<std::uint32_t>(kSeq + i));
    check(!ack.ok() && ack.error().code == Errc::corruption);
  }
}

void check_dump(std::span<const std::byte> input) {
  auto whole = decode_device_dump(input, kFamilyId, kSeq);
  if (!whole.ok()) {
    check_error(whole.error());
  } else {
    check_device(*whole);
    check_reencode(*whole);
  }
  if (input.empty()) return;
  const std::size_t split = std::to_integer<std::size_t>(input[0]) * input.size() / 256;
  DumpDecoder decoder(kFamilyId, kSeq);
  auto first = decoder.feed(input.first(split));
  if (!first.ok()) return check_error(first.error());
  if (*first == Progress::done) return;
  auto second = decoder.feed(input.subspan(split));
  if (!second.ok()) return check_error(second.error());
  auto parts = decoder.finish();
  if (!parts.ok()) return check_error(parts.error());
  check_device(*parts);
  if (whole.ok()) check(whole->peers.size() == parts->peers.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  check_dump(input);
  if (auto family = decode_get_family(input, kSeq); !family.ok()) check_error(family.error());
  else if (family->has_value()) check((*family)->id != 0);
  if (auto ack = decode_ack(input, kSeq); !ack.ok()) check_error(ack.error());
  return 0;
}
