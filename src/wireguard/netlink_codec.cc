// WireGuard generic netlink codec: request encoding and strict reply decoding with libmnl.
#include "wireguard/netlink_codec.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#include "wireguard/uapi.h"  // kMaxPeers, shared with the UAPI backend

namespace leasehold::wireguard::netlink {

namespace {

// Linux 6.16 added these to <linux/wireguard.h> as enumerators, which the preprocessor cannot
// test for, and Debian 12's headers (6.1) lack them: spelled out here with their ABI values.
constexpr std::uint16_t kAllowedIpAttrFlags = 4;     // WGALLOWEDIP_A_FLAGS, u32
constexpr std::uint32_t kAllowedIpFlagRemoveMe = 1;  // WGALLOWEDIP_F_REMOVE_ME

constexpr std::size_t kKeySize = lease::PublicKey::kSize;
static_assert(kKeySize == WG_KEY_LEN);
constexpr std::size_t kSmallMessage = 128;  // family and get requests: headers and a name
constexpr std::size_t kIfnameMax = 15;      // IFNAMSIZ - 1
constexpr int kMaxErrno = 4095;             // the kernel's errors are -1 .. -MAX_ERRNO
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
// A nest's length is 16 bits, so the PEERS nest, and with it a message, stays below 64 KiB.
constexpr std::size_t kMaxSetMessageSize = UINT16_MAX;

Error corrupt(std::string message) { return make_error(Errc::corruption, std::move(message)); }

Error kernel_error(int errnum) { return make_error(Errc::io, std::generic_category().message(errnum)); }

// libmnl reads headers through struct pointers, so the bytes must be 4-byte aligned; a
// misaligned view (a fuzzer's or a test's subspan) is copied first.
class AlignedBytes {
 public:
  explicit AlignedBytes(std::span<const std::byte> bytes) : view_(bytes) {
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(nlmsghdr) == 0) return;
    copy_.resize((bytes.size() + sizeof(std::uint32_t) - 1) / sizeof(std::uint32_t));
    std::memcpy(copy_.data(), bytes.data(), bytes.size());
    view_ = {reinterpret_cast<const std::byte*>(copy_.data()), bytes.size()};
  }
  std::span<const std::byte> view() const { return view_; }

 private:
  std::vector<std::uint32_t> copy_;
  std::span<const std::byte> view_;
};

// Walks the messages of a datagram. Unlike mnl_cb_run, a header whose length does not fit
// or bytes after the last message are an error rather than the silent end of the walk.
// mnl_nlmsg_ok compares nlmsg_len as a signed int, letting lengths >= 2^31 through, so the
// length is also checked here as the unsigned value it is.
template <class Visit>
Status for_each_message(std::span<const std::byte> datagram, Visit&& visit) {
  if (datagram.size() > INT_MAX) return corrupt("datagram too large");
  std::size_t offset = 0;
  while (offset < datagram.size()) {
    const std::size_t left = datagram.size() - offset;
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data() + offset);
    if (left < sizeof(nlmsghdr) || nlh->nlmsg_len > left || !mnl_nlmsg_ok(nlh, static_cast<int>(left)))
      return corrupt("truncated netlink message");
    if (Status visited = visit(nlh); !visited) return visited;
    offset += std::min<std::size_t>(MNL_ALIGN(nlh->nlmsg_len), left);
  }
  return {};
}

// Walks the attributes in [data, data + size). mnl_attr_parse stops silently at the first
// malformed attribute, which would accept truncated input; this walk reports it instead.
template <class Visit>
Status for_each_attr(const void* data, std::size_t size, Visit&& visit) {
  const auto* bytes = static_cast<const std::byte*>(data);
  std::size_t offset = 0;
  while (offset < size) {
    const auto* attr = reinterpret_cast<const nlattr*>(bytes + offset);
    if (!mnl_attr_ok(attr, static_cast<int>(size - offset))) return corrupt("truncated attribute");
    if (Status visited = visit(attr); !visited) return visited;
    offset += std::min<std::size_t>(MNL_ALIGN(attr->nla_len), size - offset);
  }
  return {};
}

template <class Visit>
Status for_each_nested(const nlattr* nest, Visit&& visit) {
  return for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), std::forward<Visit>(visit));
}

// The attributes after a message's generic netlink header.
template <class Visit>
Status for_each_genl_attr(const nlmsghdr* nlh, Visit&& visit) {
  const std::size_t header = MNL_ALIGN(sizeof(genlmsghdr));
  const std::size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (payload < header) return corrupt("short generic netlink header");
  return for_each_attr(mnl_nlmsg_get_payload_offset(nlh, sizeof(genlmsghdr)), payload - header,
                       std::forward<Visit>(visit));
}

std::uint8_t genl_command(const nlmsghdr* nlh) {
  return static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh))->cmd;
}

Status check_size(const nlattr* attr, std::size_t size, std::string_view what) {
  if (mnl_attr_get_payload_len(attr) != size) return corrupt("bad " + std::string(what) + " size");
  return {};
}

Result<lease::PublicKey> read_key(const nlattr* attr, std::string_view what) {
  if (auto sized = check_size(attr, kKeySize, what); !sized) return sized.error();
  std::array<std::uint8_t, kKeySize> bytes{};
  std::memcpy(bytes.data(), mnl_attr_get_payload(attr), bytes.size());
  return lease::PublicKey(bytes);
}

// The int that NLMSG_ERROR and NLMSG_DONE carry: 0 or a negative errno.
Result<int> read_status(const nlmsghdr* nlh, std::size_t min_payload) {
  if (mnl_nlmsg_get_payload_len(nlh) < min_payload) return corrupt("short netlink status");
  int value = 0;
  std::memcpy(&value, mnl_nlmsg_get_payload(nlh), sizeof value);
  if (value > 0 || value < -kMaxErrno) return corrupt("bad netlink error code");
  return value;
}

Status check_error_message(const nlmsghdr* nlh) {
  auto value = read_status(nlh, sizeof(nlmsgerr));
  if (!value) return value.error();
  if (*value != 0) return kernel_error(-*value);
  return {};
}

// ---- family lookup

Result<Family> read_family(const nlmsghdr* nlh) {
  Family family;
  Status walked = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Status {
    switch (mnl_attr_get_type(attr)) {
      case CTRL_ATTR_FAMILY_ID:
        if (auto sized = check_size(attr, sizeof(std::uint16_t), "family id"); !sized) return sized;
        family.id = mnl_attr_get_u16(attr);
        return {};
      case CTRL_ATTR_VERSION:
        if (auto sized = check_size(attr, sizeof(std::uint32_t), "family version"); !sized) return sized;
        family.version = mnl_attr_get_u32(attr);
        return {};
      case CTRL_ATTR_FAMILY_NAME: {
        const std::string_view name(static_cast<const char*>(mnl_attr_get_payload(attr)),
                                    mnl_attr_get_payload_len(attr));
        if (name != std::string_view(WG_GENL_NAME, sizeof WG_GENL_NAME)) return corrupt("unexpected family name");
        return {};
      }
      default:
        return {};  // operations, multicast groups, policies
    }
  });
  if (!walked) return walked.error();
  if (genl_command(nlh) != CTRL_CMD_NEWFAMILY) return corrupt("unexpected command");
  if (family.id == 0) return corrupt("missing family id");
  return family;
}

// ---- device dump

std::string read_endpoint_v4(const nlattr* attr) {
  sockaddr_in sin{};
  std::memcpy(&sin, mnl_attr_get_payload(attr), sizeof sin);
  return net::Address::v4(ntohl(sin.sin_addr.s_addr)).to_string() + ":" + std::to_string(ntohs(sin.sin_port));
}

std::string read_endpoint_v6(const nlattr* attr) {
  sockaddr_in6 sin6{};
  std::memcpy(&sin6, mnl_attr_get_payload(attr), sizeof sin6);
  std::array<std::uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), sin6.sin6_addr.s6_addr, bytes.size());
  std::string text = "[" + net::Address::v6_bytes(bytes).to_string();
  if (sin6.sin6_scope_id != 0) text += "%" + std::to_string(sin6.sin6_scope_id);
  return text + "]:" + std::to_string(ntohs(sin6.sin6_port));
}

// The kernel sends a whole sockaddr_in or sockaddr_in6, whose first field is the family.
Result<std::string> read_endpoint(const nlattr* attr) {
  const std::size_t size = mnl_attr_get_payload_len(attr);
  sa_family_t family = AF_UNSPEC;
  if (size >= sizeof family) std::memcpy(&family, mnl_attr_get_payload(attr), sizeof family);
  if (family == AF_INET && size == sizeof(sockaddr_in)) return read_endpoint_v4(attr);
  if (family == AF_INET6 && size == sizeof(sockaddr_in6)) return read_endpoint_v6(attr);
  return corrupt("bad endpoint");
}

// struct __kernel_timespec: two signed 64-bit fields.
Result<std::uint64_t> read_handshake_seconds(const nlattr* attr) {
  std::array<std::int64_t, 2> time{};
  if (auto sized = check_size(attr, sizeof time, "last handshake time"); !sized) return sized.error();
  std::memcpy(time.data(), mnl_attr_get_payload(attr), sizeof time);
  if (time[0] < 0 || time[1] < 0 || time[1] >= kNanosPerSecond) return corrupt("bad last handshake time");
  return static_cast<std::uint64_t>(time[0]);
}

Result<net::Address> read_ip(const nlattr* attr, std::uint16_t family) {
  const std::size_t size = mnl_attr_get_payload_len(attr);
  const auto* bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  if (family == AF_INET && size == 4) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes, sizeof value);
    return net::Address::v4(ntohl(value));
  }
  if (family == AF_INET6 && size == 16) {
    std::array<std::uint8_t, 16> v6{};
    std::memcpy(v6.data(), bytes, v6.size());
    return net::Address::v6_bytes(v6);
  }
  if (family != AF_INET && family != AF_INET6) return corrupt("bad allowed ip family");
  return corrupt("allowed ip address size mismatch");
}

Result<net::Prefix> read_allowed_ip(const nlattr* nest) {
  const nlattr* family_attr = nullptr;
  const nlattr* address_attr = nullptr;
  const nlattr* cidr_attr = nullptr;
  Status walked = for_each_nested(nest, [&](const nlattr* attr) -> Status {
    switch (mnl_attr_get_type(attr)) {
      case WGALLOWEDIP_A_FAMILY:
        family_attr = attr;
        return check_size(attr, sizeof(std::uint16_t), "allowed ip family");
      case WGALLOWEDIP_A_IPADDR:
        address_attr = attr;
        return {};
      case WGALLOWEDIP_A_CIDR_MASK:
        cidr_attr = attr;
        return check_size(attr, sizeof(std::uint8_t), "allowed ip cidr");
      default:
        return {};  // WGALLOWEDIP_A_FLAGS and later additions
    }
  });
  if (!walked) return walked.error();
  if (!family_attr || !address_attr || !cidr_attr) return corrupt("incomplete allowed ip");
  auto address = read_ip(address_attr, mnl_attr_get_u16(family_attr));
  if (!address) return address.error();
  const int cidr = mnl_attr_get_u8(cidr_attr);
  if (cidr > net::family_bits(address->family())) return corrupt("allowed ip cidr too long");
  net::Prefix prefix(*address, cidr);
  if (!(prefix.first() == *address)) return corrupt("allowed ip host bits set");
  return prefix;
}

Status read_allowed_ips(const nlattr* nest, std::vector<net::Prefix>& out) {
  return for_each_nested(nest, [&](const nlattr* entry) -> Status {
    auto prefix = read_allowed_ip(entry);
    if (!prefix) return prefix.error();
    out.push_back(*prefix);
    return {};
  });
}

Status apply_peer_attr(PeerInfo& peer, bool& has_key, const nlattr* attr) {
  switch (mnl_attr_get_type(attr)) {
    case WGPEER_A_PUBLIC_KEY: {
      auto key = read_key(attr, "peer public key");
      if (!key) return key.error();
      peer.key = *key;
      has_key = true;
      return {};
    }
    case WGPEER_A_PRESHARED_KEY: return check_size(attr, kKeySize, "preshared key");
    case WGPEER_A_ENDPOINT: {
      auto endpoint = read_endpoint(attr);
      if (!endpoint) return endpoint.error();
      peer.endpoint = std::move(*endpoint);
      return {};
    }
    case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: return check_size(attr, sizeof(std::uint16_t), "keepalive");
    case WGPEER_A_LAST_HANDSHAKE_TIME: {
      auto seconds = read_handshake_seconds(attr);
      if (!seconds) return seconds.error();
      peer.last_handshake_seconds = *seconds;
      return {};
    }
    case WGPEER_A_RX_BYTES:
      if (auto sized = check_size(attr, sizeof(std::uint64_t), "rx bytes"); !sized) return sized;
      peer.rx_bytes = mnl_attr_get_u64(attr);
      return {};
    case WGPEER_A_TX_BYTES:
      if (auto sized = check_size(attr, sizeof(std::uint64_t), "tx bytes"); !sized) return sized;
      peer.tx_bytes = mnl_attr_get_u64(attr);
      return {};
    case WGPEER_A_ALLOWEDIPS: return read_allowed_ips(attr, peer.allowed_ips);
    case WGPEER_A_PROTOCOL_VERSION: return check_size(attr, sizeof(std::uint32_t), "protocol version");
    default: return {};  // WGPEER_A_UNSPEC pads 64-bit counters; newer kernels add more
  }
}

Result<PeerInfo> read_peer(const nlattr* nest) {
  PeerInfo peer;
  bool has_key = false;
  Status walked = for_each_nested(nest, [&](const nlattr* attr) { return apply_peer_attr(peer, has_key, attr); });
  if (!walked) return walked.error();
  if (!has_key) return corrupt("peer without public key");
  return peer;
}

Status check_device_attr(const nlattr* attr) {
  switch (mnl_attr_get_type(attr)) {
    case WGDEVICE_A_PRIVATE_KEY: return check_size(attr, kKeySize, "private key");
    case WGDEVICE_A_IFINDEX: return check_size(attr, sizeof(std::uint32_t), "ifindex");
    case WGDEVICE_A_FLAGS: return check_size(attr, sizeof(std::uint32_t), "device flags");
    case WGDEVICE_A_FWMARK: return check_size(attr, sizeof(std::uint32_t), "fwmark");
    case WGDEVICE_A_IFNAME: {
      const std::size_t size = mnl_attr_get_payload_len(attr);
      const auto* name = static_cast<const char*>(mnl_attr_get_payload(attr));
      if (size < 2 || size > kIfnameMax + 1 || name[size - 1] != '\0') return corrupt("bad ifname");
      return {};
    }
    default: return {};
  }
}

Status check_unique_keys(const std::vector<PeerInfo>& peers) {
  std::vector<lease::PublicKey> keys;
  keys.reserve(peers.size());
  for (const PeerInfo& peer : peers) keys.push_back(peer.key);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return corrupt("duplicate peer public key");
  return {};
}

// ---- encoding

nlmsghdr* put_genl_header(Message& buffer, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                          std::uint8_t command, std::uint8_t version) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = command;
  genl->version = version;
  return nlh;
}

void finish(Message& buffer, const nlmsghdr* nlh) { buffer.resize(nlh->nlmsg_len); }

// Packs peer changes into SET_DEVICE messages the way the kernel reads them: a peer that
// does not fit is closed and continued in the next message.
class SetEncoder {
 public:
  SetEncoder(const Family& family, std::uint32_t first_seq, std::string_view ifname, std::size_t limit)
      : family_(family), first_seq_(first_seq), ifname_(ifname), limit_(limit) {
    open_message();
  }

  void add(const PeerChange& change) {
    if (!change.replace_allowed_ips && change.allowed_ips.empty()) return;
    std::size_t next = 0;
    bool first_chunk = true;
    for (;;) {
      if (put_peer(change, first_chunk, next)) {
        first_chunk = false;
        if (next == change.allowed_ips.size()) return;
      } else if (peers_in_message_ == 0) {
        assert(false && "kMinSetMessageSize holds a peer and an entry");
        return;
      }
      close_message();
      open_message();
    }
  }

  std::vector<Message> take() {
    close_message();
    return std::move(messages_);
  }

 private:
  void open_message() {
    buffer_.assign(limit_, std::byte{0});
    const auto seq = static_cast<std::uint32_t>(first_seq_ + messages_.size());
    nlh_ = put_genl_header(buffer_, family_.id, NLM_F_REQUEST | NLM_F_ACK, seq, WG_CMD_SET_DEVICE, WG_GENL_VERSION);
    mnl_attr_put_strz(nlh_, WGDEVICE_A_IFNAME, ifname_.c_str());
    peers_ = mnl_attr_nest_start(nlh_, WGDEVICE_A_PEERS);
    peers_in_message_ = 0;
  }

  void close_message() {
    if (peers_in_message_ == 0) return;
    mnl_attr_nest_end(nlh_, peers_);
    finish(buffer_, nlh_);
    messages_.push_back(std::move(buffer_));
  }

  // Writes the peer with as many entries from `next` on as fit; false if not even the peer
  // header and one entry (when there are entries) fit, leaving the message unchanged.
  bool put_peer(const PeerChange& change, bool first_chunk, std::size_t& next) {
    nlattr* peer = mnl_attr_nest_start_check(nlh_, limit_, 0);
    if (!peer) return false;
    std::uint32_t flags = WGPEER_F_UPDATE_ONLY;
    if (first_chunk && change.replace_allowed_ips) flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
    bool ok = mnl_attr_put_check(nlh_, limit_, WGPEER_A_PUBLIC_KEY, kKeySize, change.key.bytes().data()) &&
              mnl_attr_put_u32_check(nlh_, limit_, WGPEER_A_FLAGS, flags);
    if (ok && next < change.allowed_ips.size()) ok = put_allowed_ips(change.allowed_ips, next);
    if (!ok) {
      mnl_attr_nest_cancel(nlh_, peer);
      return false;
    }
    mnl_attr_nest_end(nlh_, peer);
    ++peers_in_message_;
    return true;
  }

  bool put_allowed_ips(const std::vector<AllowedIpChange>& entries, std::size_t& next) {
    nlattr* list = mnl_attr_nest_start_check(nlh_, limit_, WGPEER_A_ALLOWEDIPS);
    if (!list) return false;
    const std::size_t start = next;
    while (next < entries.size() && put_allowed_ip(entries[next])) ++next;
    if (next == start) return false;
    mnl_attr_nest_end(nlh_, list);
    return true;
  }

  bool put_allowed_ip(const AllowedIpChange& entry) {
    nlattr* nest = mnl_attr_nest_start_check(nlh_, limit_, 0);
    if (!nest) return false;
    const net::Address& address = entry.prefix.address();
    bool ok;
    if (address.is_v4()) {
      const std::uint32_t value = htonl(address.v4_value());
      ok = mnl_attr_put_u16_check(nlh_, limit_, WGALLOWEDIP_A_FAMILY, AF_INET) &&
           mnl_attr_put_check(nlh_, limit_, WGALLOWEDIP_A_IPADDR, sizeof value, &value);
    } else {
      const auto bytes = address.v6_bytes();
      ok = mnl_attr_put_u16_check(nlh_, limit_, WGALLOWEDIP_A_FAMILY, AF_INET6) &&
           mnl_attr_put_check(nlh_, limit_, WGALLOWEDIP_A_IPADDR, bytes.size(), bytes.data());
    }
    const auto cidr = static_cast<std::uint8_t>(entry.prefix.length());
    ok = ok && mnl_attr_put_u8_check(nlh_, limit_, WGALLOWEDIP_A_CIDR_MASK, cidr);
    if (ok && entry.remove) ok = mnl_attr_put_u32_check(nlh_, limit_, kAllowedIpAttrFlags, kAllowedIpFlagRemoveMe);
    if (!ok) {
      mnl_attr_nest_cancel(nlh_, nest);
      return false;
    }
    mnl_attr_nest_end(nlh_, nest);
    return true;
  }

  Family family_;
  std::uint32_t first_seq_;
  std::string ifname_;
  std::size_t limit_;
  std::vector<Message> messages_;
  Message buffer_;
  nlmsghdr* nlh_ = nullptr;
  nlattr* peers_ = nullptr;
  std::size_t peers_in_message_ = 0;
};

// replace_list: one REPLACE per peer that loses entries, with what it keeps.
std::vector<PeerChange> replace_removals(std::span<const AllowedIpsUpdate> updates, const DeviceInfo& current) {
  std::vector<PeerChange> out;
  for (KeptList& kept : lists_after_removals(updates, current)) {
    PeerChange change{kept.key, true, {}};
    for (const net::Prefix& prefix : kept.keep) change.allowed_ips.push_back({prefix, false});
    out.push_back(std::move(change));
  }
  return out;
}

}  // namespace

// ---- public: family

Message encode_get_family(std::uint32_t seq) {
  Message buffer(kSmallMessage);
  nlmsghdr* nlh = put_genl_header(buffer, GENL_ID_CTRL, NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
  finish(buffer, nlh);
  return buffer;
}

Result<std::optional<Family>> decode_get_family(std::span<const std::byte> datagram, std::uint32_t seq) {
  const AlignedBytes bytes(datagram);
  std::optional<Family> family;
  Status walked = for_each_message(bytes.view(), [&](const nlmsghdr* nlh) -> Status {
    if (nlh->nlmsg_seq != seq) return {};  // a stale reply
    if (family) return corrupt("message after family reply");
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      auto value = read_status(nlh, sizeof(nlmsgerr));
      if (!value) return value.error();
      if (*value == -ENOENT)
        return make_error(Errc::not_found, "no kernel WireGuard (generic netlink family 'wireguard' not found)");
      if (*value == 0) return corrupt("missing family reply");
      return kernel_error(-*value);
    }
    if (nlh->nlmsg_type != GENL_ID_CTRL) return corrupt("unexpected message type");
    auto read = read_family(nlh);
    if (!read) return read.error();
    family = *read;
    return {};
  });
  if (!walked) return walked.error();
  return family;
}

// ---- public: device dump

Message encode_get_device(const Family& family, std::uint32_t seq, std::string_view ifname) {
  assert(!ifname.empty() && ifname.size() <= kIfnameMax);
  Message buffer(kSmallMessage);
  nlmsghdr* nlh = put_genl_header(buffer, family.id, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq,
                                  WG_CMD_GET_DEVICE, WG_GENL_VERSION);
  mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, std::string(ifname).c_str());
  finish(buffer, nlh);
  return buffer;
}

Result<Progress> DumpDecoder::feed(std::span<const std::byte> datagram) {
  if (done_) return corrupt("message after end of dump");
  const AlignedBytes bytes(datagram);
  Status walked = for_each_message(bytes.view(), [&](const nlmsghdr* nlh) -> Status {
    if (done_) return corrupt("message after end of dump");
    if (nlh->nlmsg_seq != seq_) return {};  // a stale reply
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) return make_error(Errc::unavailable, "device changed during dump");
    switch (nlh->nlmsg_type) {
      case NLMSG_NOOP: return {};
      case NLMSG_ERROR: return check_error_message(nlh);  // 0: an acknowledgement
      case NLMSG_DONE: {
        done_ = true;
        auto value = read_status(nlh, sizeof(int));
        if (!value) return value.error();
        if (*value != 0) return kernel_error(-*value);
        return {};
      }
      default:
        if (nlh->nlmsg_type != family_id_) return corrupt("unexpected message type");
        return apply_message({reinterpret_cast<const std::byte*>(nlh), nlh->nlmsg_len});
    }
  });
  if (!walked) return walked.error();
  return done_ ? Progress::done : Progress::more;
}

Status DumpDecoder::apply_message(std::span<const std::byte> message) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  bool first_peer = true;
  Status walked = for_each_genl_attr(nlh, [&](const nlattr* attr) -> Status {
    switch (mnl_attr_get_type(attr)) {
      case WGDEVICE_A_PUBLIC_KEY: {
        auto key = read_key(attr, "device public key");
        if (!key) return key.error();
        info_.public_key = *key;
        return {};
      }
      case WGDEVICE_A_LISTEN_PORT:
        if (auto sized = check_size(attr, sizeof(std::uint16_t), "listen port"); !sized) return sized;
        info_.listen_port = mnl_attr_get_u16(attr);
        return {};
      case WGDEVICE_A_PEERS:
        return for_each_nested(attr, [&](const nlattr* nest) -> Status {
          auto peer = read_peer(nest);
          if (!peer) return peer.error();
          Status applied = apply_peer(*peer, first_peer);
          first_peer = false;
          return applied;
        });
      default:
        return check_device_attr(attr);
    }
  });
  if (!walked) return walked;
  if (genl_command(nlh) != WG_CMD_GET_DEVICE) return corrupt("unexpected command");
  return {};
}

// The kernel ends a message when the next allowed-ip does not fit and starts the next one
// with the same peer (public key and remaining allowed-ips only).
Status DumpDecoder::apply_peer(const PeerInfo& peer, bool first_in_message) {
  if (first_in_message && !info_.peers.empty() && info_.peers.back().key == peer.key) {
    std::vector<net::Prefix>& ips = info_.peers.back().allowed_ips;
    ips.insert(ips.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
    return {};
  }
  if (info_.peers.size() >= kMaxPeers) return corrupt("too many peers");
  info_.peers.push_back(peer);
  return {};
}

Result<DeviceInfo> DumpDecoder::finish() {
  if (!done_) return corrupt("dump not terminated");
  if (auto unique = check_unique_keys(info_.peers); !unique) return unique.error();
  return std::move(info_);
}

Result<DeviceInfo> decode_device_dump(std::span<const std::byte> datagrams, std::uint16_t family_id,
                                      std::uint32_t seq) {
  DumpDecoder decoder(family_id, seq);
  auto progress = decoder.feed(datagrams);
  if (!progress) return progress.error();
  return decoder.finish();
}

// ---- public: set

std::vector<PeerChange> plan_changes(std::span<const AllowedIpsUpdate> updates, RemovalMode mode,
                                     const DeviceInfo* current) {
  std::vector<PeerChange> out;
  if (mode == RemovalMode::replace_list) {
    const bool removes = has_removals(updates);
    assert(current || !removes);
    if (removes && current) out = replace_removals(updates, *current);
  } else {
    for (const AllowedIpsUpdate& update : updates) {
      if (update.remove.empty()) continue;
      PeerChange change{update.key, false, {}};
      for (const net::Prefix& prefix : update.remove) change.allowed_ips.push_back({prefix, true});
      out.push_back(std::move(change));
    }
  }
  for (const AllowedIpsUpdate& update : updates) {
    if (update.add.empty()) continue;
    PeerChange change{update.key, false, {}};
    for (const net::Prefix& prefix : update.add) change.allowed_ips.push_back({prefix, false});
    out.push_back(std::move(change));
  }
  return out;
}

std::vector<Message> encode_set_device(const Family& family, std::uint32_t first_seq, std::string_view ifname,
                                       std::span<const PeerChange> changes, std::size_t max_message_size) {
  assert(!ifname.empty() && ifname.size() <= kIfnameMax);
  const std::size_t limit = std::clamp(max_message_size, kMinSetMessageSize, kMaxSetMessageSize);
  SetEncoder encoder(family, first_seq, ifname, limit);
  for (const PeerChange& change : changes) encoder.add(change);
  return encoder.take();
}

Result<Progress> decode_ack(std::span<const std::byte> datagram, std::uint32_t seq) {
  const AlignedBytes bytes(datagram);
  bool done = false;
  Status walked = for_each_message(bytes.view(), [&](const nlmsghdr* nlh) -> Status {
    if (nlh->nlmsg_seq != seq) return {};  // a stale reply
    if (done) return corrupt("message after acknowledgement");
    if (nlh->nlmsg_type != NLMSG_ERROR) return corrupt("unexpected message type");
    done = true;
    return check_error_message(nlh);
  });
  if (!walked) return walked.error();
  return done ? Progress::done : Progress::more;
}

bool kernel_supports_remove_flag(std::string_view release) {
  int major = 0;
  int minor = 0;
  const char* end = release.data() + release.size();
  auto parsed = std::from_chars(release.data(), end, major);
  if (parsed.ec != std::errc() || parsed.ptr == end || *parsed.ptr != '.') return false;
  parsed = std::from_chars(parsed.ptr + 1, end, minor);
  if (parsed.ec != std::errc()) return false;
  return major > kRemoveFlagKernelMajor || (major == kRemoveFlagKernelMajor && minor >= kRemoveFlagKernelMinor);
}

}  // namespace leasehold::wireguard::netlink
