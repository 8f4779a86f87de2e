// Tests for the generic netlink codec (requests parsed back by an independent reader here,
// hand-built kernel replies decoded) and the netlink device's "no kernel module" path.
#include "wireguard/netlink_codec.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "wireguard/netlink_device.h"

namespace leasehold::wireguard::netlink {
namespace {

constexpr std::uint16_t kFamilyId = 0x1b;
constexpr std::uint32_t kSeq = 4242;
constexpr std::uint16_t kAllowedIpFlags = 4;  // WGALLOWEDIP_A_FLAGS (Linux 6.16)
const Family kFamily{kFamilyId, 1};

lease::PublicKey key(std::uint8_t seed) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return lease::PublicKey(bytes);
}

net::Prefix prefix(const char* text) { return *net::Prefix::parse(text); }

Message cat(std::initializer_list<Message> parts) {
  Message out;
  for (const Message& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// ---- an independent reader for what the encoder writes

struct Attr {
  std::uint16_t type = 0;
  bool nested = false;
  std::vector<std::byte> payload;
};

std::vector<Attr> attrs_of(std::span<const std::byte> data) {
  std::vector<Attr> out;
  std::size_t offset = 0;
  while (offset < data.size()) {
    if (data.size() - offset < 4) {
      ADD_FAILURE() << "short attribute header";
      return out;
    }
    std::uint16_t len = 0;
    std::uint16_t type = 0;
    std::memcpy(&len, data.data() + offset, 2);
    std::memcpy(&type, data.data() + offset + 2, 2);
    if (len < 4 || len > data.size() - offset) {
      ADD_FAILURE() << "bad attribute length " << len;
      return out;
    }
    out.push_back({static_cast<std::uint16_t>(type & NLA_TYPE_MASK), (type & NLA_F_NESTED) != 0,
                   {data.begin() + static_cast<std::ptrdiff_t>(offset + 4),
                    data.begin() + static_cast<std::ptrdiff_t>(offset + len)}});
    offset += (len + 3u) & ~3u;
  }
  EXPECT_EQ(offset, data.size()) << "attributes not padded to the end";
  return out;
}

template <class T>
T value_of(const Attr& attr) {
  T value{};
  EXPECT_EQ(attr.payload.size(), sizeof value) << "attribute " << attr.type;
  std::memcpy(&value, attr.payload.data(), std::min(sizeof value, attr.payload.size()));
  return value;
}

struct ParsedMessage {
  nlmsghdr header{};
  genlmsghdr genl{};
  std::vector<Attr> attrs;
};

ParsedMessage parse_message(const Message& message) {
  ParsedMessage out;
  if (message.size() < NLMSG_HDRLEN + GENL_HDRLEN) {
    ADD_FAILURE() << "message too short";
    return out;
  }
  std::memcpy(&out.header, message.data(), sizeof out.header);
  std::memcpy(&out.genl, message.data() + NLMSG_HDRLEN, sizeof out.genl);
  EXPECT_EQ(out.header.nlmsg_len, message.size());
  out.attrs = attrs_of(std::span<const std::byte>(message).subspan(NLMSG_HDRLEN + GENL_HDRLEN));
  return out;
}

struct SetPeer {
  lease::PublicKey key;
  std::uint32_t flags = 0;
  bool has_allowed_ips = false;
  std::vector<AllowedIpChange> ips;
};

AllowedIpChange parse_allowed_ip(const Attr& nest) {
  EXPECT_TRUE(nest.nested);
  AllowedIpChange out;
  std::uint16_t family = 0;
  std::vector<std::byte> address;
  int cidr = -1;
  for (const Attr& attr : attrs_of(nest.payload)) {
    if (attr.type == WGALLOWEDIP_A_FAMILY) family = value_of<std::uint16_t>(attr);
    else if (attr.type == WGALLOWEDIP_A_IPADDR) address = attr.payload;
    else if (attr.type == WGALLOWEDIP_A_CIDR_MASK) cidr = value_of<std::uint8_t>(attr);
    else if (attr.type == kAllowedIpFlags) out.remove = value_of<std::uint32_t>(attr) == 1;
    else ADD_FAILURE() << "unexpected allowed ip attribute " << attr.type;
  }
  if (family == AF_INET && address.size() == 4) {
    std::uint32_t v4 = 0;
    std::memcpy(&v4, address.data(), 4);
    out.prefix = net::Prefix(net::Address::v4(ntohl(v4)), cidr);
  } else if (family == AF_INET6 && address.size() == 16) {
    std::array<std::uint8_t, 16> v6{};
    std::memcpy(v6.data(), address.data(), 16);
    out.prefix = net::Prefix(net::Address::v6_bytes(v6), cidr);
  } else {
    ADD_FAILURE() << "bad family/address " << family << "/" << address.size();
  }
  return out;
}

SetPeer parse_set_peer(const Attr& nest) {
  EXPECT_TRUE(nest.nested);
  SetPeer peer;
  for (const Attr& attr : attrs_of(nest.payload)) {
    if (attr.type == WGPEER_A_PUBLIC_KEY) {
      std::array<std::uint8_t, 32> bytes{};
      EXPECT_EQ(attr.payload.size(), 32u);
      std::memcpy(bytes.data(), attr.payload.data(), std::min<std::size_t>(32, attr.payload.size()));
      peer.key = lease::PublicKey(bytes);
    } else if (attr.type == WGPEER_A_FLAGS) {
      peer.flags = value_of<std::uint32_t>(attr);
    } else if (attr.type == WGPEER_A_ALLOWEDIPS) {
      EXPECT_TRUE(attr.nested);
      peer.has_allowed_ips = true;
      for (const Attr& entry : attrs_of(attr.payload)) peer.ips.push_back(parse_allowed_ip(entry));
    } else {
      ADD_FAILURE() << "unexpected peer attribute " << attr.type;
    }
  }
  return peer;
}

// A SET_DEVICE message read back: its header fields checked, its peers returned.
std::vector<SetPeer> parse_set(const Message& message, std::uint32_t seq) {
  const ParsedMessage parsed = parse_message(message);
  EXPECT_EQ(parsed.header.nlmsg_type, kFamilyId);
  EXPECT_EQ(parsed.header.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(parsed.header.nlmsg_seq, seq);
  EXPECT_EQ(parsed.genl.cmd, WG_CMD_SET_DEVICE);
  EXPECT_EQ(parsed.genl.version, WG_GENL_VERSION);
  std::vector<SetPeer> peers;
  EXPECT_EQ(parsed.attrs.size(), 2u);
  for (const Attr& attr : parsed.attrs) {
    if (attr.type == WGDEVICE_A_IFNAME) {
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(attr.payload.data()), attr.payload.size()),
                std::string("wg0", 4));
    } else if (attr.type == WGDEVICE_A_PEERS) {
      EXPECT_TRUE(attr.nested);
      for (const Attr& nest : attrs_of(attr.payload)) peers.push_back(parse_set_peer(nest));
    } else {
      ADD_FAILURE() << "unexpected device attribute " << attr.type;
    }
  }
  return peers;
}

// ---- a builder for kernel replies

class Builder {
 public:
  Builder(std::uint16_t type, std::uint32_t seq, std::uint8_t cmd = WG_CMD_GET_DEVICE,
          std::uint16_t flags = NLM_F_MULTI) {
    nlmsghdr header{};
    header.nlmsg_type = type;
    header.nlmsg_flags = flags;
    header.nlmsg_seq = seq;
    append(&header, sizeof header);
    genlmsghdr genl{};
    genl.cmd = cmd;
    genl.version = 1;
    append(&genl, sizeof genl);
  }

  Builder& raw(std::uint16_t type, const void* data, std::size_t size) {
    const nlattr attr{static_cast<std::uint16_t>(NLA_HDRLEN + size), type};
    append(&attr, sizeof attr);
    append(data, size);
    pad();
    return *this;
  }
  template <class T>
  Builder& value(std::uint16_t type, T v) { return raw(type, &v, sizeof v); }
  Builder& key(std::uint16_t type, const lease::PublicKey& k) { return raw(type, k.bytes().data(), 32); }
  Builder& begin(std::uint16_t type) {
    nests_.push_back(buffer_.size());
    const nlattr attr{0, static_cast<std::uint16_t>(type | NLA_F_NESTED)};
    append(&attr, sizeof attr);
    return *this;
  }
  Builder& end() {
    const auto len = static_cast<std::uint16_t>(buffer_.size() - nests_.back());
    std::memcpy(buffer_.data() + nests_.back(), &len, sizeof len);
    nests_.pop_back();
    return *this;
  }
  // One allowed-ip nest, attributes in the kernel's order.
  Builder& allowed_ip(std::uint16_t family, const void* address, std::size_t size, std::uint8_t cidr) {
    return begin(0)
        .value<std::uint8_t>(WGALLOWEDIP_A_CIDR_MASK, cidr)
        .value<std::uint16_t>(WGALLOWEDIP_A_FAMILY, family)
        .raw(WGALLOWEDIP_A_IPADDR, address, size)
        .end();
  }
  Builder& v4(const char* text, std::uint8_t cidr) {
    in_addr a{};
    EXPECT_EQ(inet_pton(AF_INET, text, &a), 1);
    return allowed_ip(AF_INET, &a, sizeof a, cidr);
  }
  Builder& v6(const char* text, std::uint8_t cidr) {
    in6_addr a{};
    EXPECT_EQ(inet_pton(AF_INET6, text, &a), 1);
    return allowed_ip(AF_INET6, &a, sizeof a, cidr);
  }
  Message done() const {
    Message out = buffer_;
    const auto len = static_cast<std::uint32_t>(out.size());
    std::memcpy(out.data(), &len, sizeof len);
    return out;
  }

 private:
  void append(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::byte*>(data);
    buffer_.insert(buffer_.end(), bytes, bytes + size);
  }
  void pad() { buffer_.resize((buffer_.size() + 3) & ~std::size_t{3}); }

  Message buffer_;
  std::vector<std::size_t> nests_;
};

// NLMSG_DONE / NLMSG_ERROR with their int (and for errors the echoed request header).
Message control(std::uint16_t type, std::uint32_t seq, int value, std::uint16_t flags = NLM_F_MULTI) {
  nlmsghdr header{};
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  header.nlmsg_seq = seq;
  const std::size_t payload = type == NLMSG_ERROR ? sizeof(nlmsgerr) : sizeof(int);
  header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + payload);
  Message out(header.nlmsg_len);
  std::memcpy(out.data(), &header, sizeof header);
  std::memcpy(out.data() + NLMSG_HDRLEN, &value, sizeof value);
  return out;
}

sockaddr_in endpoint_v4(const char* text, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, text, &sin.sin_addr), 1);
  return sin;
}

sockaddr_in6 endpoint_v6(const char* text, std::uint16_t port, std::uint32_t scope = 0) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_scope_id = scope;
  EXPECT_EQ(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
  return sin6;
}

// A device whose first peer spills into the second message, as the kernel dumps it.
Message first_dump_message() {
  const std::array<std::uint8_t, 32> secret{1, 2, 3};
  const sockaddr_in ep = endpoint_v4("192.0.2.7", 51820);
  const std::array<std::int64_t, 2> handshake{1700000000, 123456789};
  Builder b(kFamilyId, kSeq);
  b.value<std::uint16_t>(WGDEVICE_A_LISTEN_PORT, 51820)
      .value<std::uint32_t>(WGDEVICE_A_FWMARK, 0)
      .value<std::uint32_t>(WGDEVICE_A_IFINDEX, 7)
      .raw(WGDEVICE_A_IFNAME, "wg0", 4)
      .raw(WGDEVICE_A_PRIVATE_KEY, secret.data(), secret.size())
      .key(WGDEVICE_A_PUBLIC_KEY, key(100));
  b.begin(WGDEVICE_A_PEERS).begin(0);
  b.key(WGPEER_A_PUBLIC_KEY, key(1))
      .raw(WGPEER_A_PRESHARED_KEY, secret.data(), secret.size())
      .raw(WGPEER_A_LAST_HANDSHAKE_TIME, handshake.data(), sizeof handshake)
      .value<std::uint16_t>(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25)
      .raw(WGPEER_A_UNSPEC, nullptr, 0)  // the kernel's alignment pad before a u64
      .value<std::uint64_t>(WGPEER_A_TX_BYTES, 38333)
      .value<std::uint64_t>(WGPEER_A_RX_BYTES, 2224)
      .value<std::uint32_t>(WGPEER_A_PROTOCOL_VERSION, 1)
      .raw(WGPEER_A_ENDPOINT, &ep, sizeof ep);
  b.begin(WGPEER_A_ALLOWEDIPS).v4("10.47.0.2", 32).v6("fd00:47::2", 128).end();
  b.end().end();
  return b.done();
}

Message second_dump_message() {
  const sockaddr_in6 ep = endpoint_v6("2001:db8::1", 40000);
  Builder b(kFamilyId, kSeq);
  b.begin(WGDEVICE_A_PEERS);
  b.begin(0).key(WGPEER_A_PUBLIC_KEY, key(1));  // continuation: key and allowed-ips only
  b.begin(WGPEER_A_ALLOWEDIPS).v4("10.47.1.0", 24).end().end();
  b.begin(0).key(WGPEER_A_PUBLIC_KEY, key(2)).raw(WGPEER_A_ENDPOINT, &ep, sizeof ep);
  b.begin(WGPEER_A_ALLOWEDIPS).v6("::", 0).v4("0.0.0.0", 0).end().end();
  b.end();
  return b.done();
}

Message full_dump() { return cat({first_dump_message(), second_dump_message(), control(NLMSG_DONE, kSeq, 0)}); }

void expect_full_device(const DeviceInfo& info) {
  ASSERT_TRUE(info.public_key.has_value());
  EXPECT_EQ(*info.public_key, key(100));
  EXPECT_EQ(info.listen_port, std::optional<std::uint16_t>(51820));
  ASSERT_EQ(info.peers.size(), 2u);
  const PeerInfo& a = info.peers[0];
  EXPECT_EQ(a.key, key(1));
  EXPECT_EQ(a.endpoint, "192.0.2.7:51820");
  EXPECT_EQ(a.last_handshake_seconds, std::optional<std::uint64_t>(1700000000));
  EXPECT_EQ(a.rx_bytes, 2224u);
  EXPECT_EQ(a.tx_bytes, 38333u);
  EXPECT_EQ(a.allowed_ips,
            (std::vector<net::Prefix>{prefix("10.47.0.2/32"), prefix("fd00:47::2/128"), prefix("10.47.1.0/24")}));
  const PeerInfo& b = info.peers[1];
  EXPECT_EQ(b.key, key(2));
  EXPECT_EQ(b.endpoint, "[2001:db8::1]:40000");
  EXPECT_FALSE(b.last_handshake_seconds.has_value());
  EXPECT_EQ(b.allowed_ips, (std::vector<net::Prefix>{prefix("::/0"), prefix("0.0.0.0/0")}));
}

std::string dump_error(const Message& stream, Errc code = Errc::corruption) {
  auto info = decode_device_dump(stream, kFamilyId, kSeq);
  EXPECT_FALSE(info.ok());
  if (info.ok()) return {};
  EXPECT_EQ(info.error().code, code) << info.error().message;
  return info.error().message;
}

// A one-peer dump whose peer carries `attr` bytes built by `add`.
template <class Add>
Message one_peer_dump(Add add) {
  Builder b(kFamilyId, kSeq);
  b.begin(WGDEVICE_A_PEERS).begin(0).key(WGPEER_A_PUBLIC_KEY, key(1));
  add(b);
  b.end().end();
  return cat({b.done(), control(NLMSG_DONE, kSeq, 0)});
}

template <class Add>
Message one_ip_dump(Add add) {
  return one_peer_dump([&](Builder& b) {
    b.begin(WGPEER_A_ALLOWEDIPS);
    add(b);
    b.end();
  });
}

// ---- family lookup

TEST(NetlinkFamily, RequestNamesWireguard) {
  const ParsedMessage m = parse_message(encode_get_family(7));
  EXPECT_EQ(m.header.nlmsg_type, GENL_ID_CTRL);
  EXPECT_EQ(m.header.nlmsg_flags, NLM_F_REQUEST);
  EXPECT_EQ(m.header.nlmsg_seq, 7u);
  EXPECT_EQ(m.genl.cmd, CTRL_CMD_GETFAMILY);
  ASSERT_EQ(m.attrs.size(), 1u);
  EXPECT_EQ(m.attrs[0].type, CTRL_ATTR_FAMILY_NAME);
  EXPECT_EQ(m.attrs[0].payload.size(), 10u);  // "wireguard" and its NUL
  EXPECT_EQ(std::memcmp(m.attrs[0].payload.data(), "wireguard", 10), 0);
}

TEST(NetlinkFamily, DecodesIdAndVersion) {
  Builder b(GENL_ID_CTRL, 7, CTRL_CMD_NEWFAMILY, 0);
  b.raw(CTRL_ATTR_FAMILY_NAME, "wireguard", 10)
      .value<std::uint16_t>(CTRL_ATTR_FAMILY_ID, 0x1b)
      .value<std::uint32_t>(CTRL_ATTR_VERSION, 1)
      .value<std::uint32_t>(CTRL_ATTR_HDRSIZE, 0);
  b.begin(CTRL_ATTR_OPS).begin(1).value<std::uint32_t>(CTRL_ATTR_OP_ID, 0).end().end();
  auto family = decode_get_family(b.done(), 7);
  ASSERT_TRUE(family.ok()) << family.error().message;
  ASSERT_TRUE(family->has_value());
  EXPECT_EQ((*family)->id, 0x1b);
  EXPECT_EQ((*family)->version, 1u);
}

TEST(NetlinkFamily, MissingFamilyIsNotFound) {
  auto family = decode_get_family(control(NLMSG_ERROR, 7, -ENOENT, 0), 7);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error().code, Errc::not_found);
  EXPECT_EQ(family.error().message, "no kernel WireGuard (generic netlink family 'wireguard' not found)");
}

TEST(NetlinkFamily, OtherKernelErrorIsIo) {
  auto family = decode_get_family(control(NLMSG_ERROR, 7, -EPERM, 0), 7);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error().code, Errc::io);
  EXPECT_EQ(family.error().message, "Operation not permitted");
}

TEST(NetlinkFamily, StaleRepliesAreSkipped) {
  auto family = decode_get_family(control(NLMSG_ERROR, 6, -ENOENT, 0), 7);
  ASSERT_TRUE(family.ok());
  EXPECT_FALSE(family->has_value());
}

TEST(NetlinkFamily, ReplyWithoutIdIsCorrupt) {
  Builder b(GENL_ID_CTRL, 7, CTRL_CMD_NEWFAMILY, 0);
  b.raw(CTRL_ATTR_FAMILY_NAME, "wireguard", 10);
  auto family = decode_get_family(b.done(), 7);
  ASSERT_FALSE(family.ok());
  EXPECT_EQ(family.error().message, "missing family id");
}

// ---- GET_DEVICE

TEST(NetlinkGetDevice, RequestIsADumpByName) {
  const ParsedMessage m = parse_message(encode_get_device(kFamily, kSeq, "wg0"));
  EXPECT_EQ(m.header.nlmsg_type, kFamilyId);
  EXPECT_EQ(m.header.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
  EXPECT_EQ(m.header.nlmsg_seq, kSeq);
  EXPECT_EQ(m.genl.cmd, WG_CMD_GET_DEVICE);
  ASSERT_EQ(m.attrs.size(), 1u);
  EXPECT_EQ(m.attrs[0].type, WGDEVICE_A_IFNAME);
  EXPECT_EQ(m.attrs[0].payload.size(), 4u);
  EXPECT_EQ(std::memcmp(m.attrs[0].payload.data(), "wg0", 4), 0);
}

TEST(NetlinkDump, PeerSplitAcrossMessagesIsFolded) {
  auto info = decode_device_dump(full_dump(), kFamilyId, kSeq);
  ASSERT_TRUE(info.ok()) << info.error().message;
  expect_full_device(*info);
}

TEST(NetlinkDump, DatagramByDatagram) {
  DumpDecoder decoder(kFamilyId, kSeq);
  auto first = decoder.feed(first_dump_message());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, Progress::more);
  auto second = decoder.feed(cat({control(NLMSG_DONE, kSeq - 1, 0), second_dump_message()}));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, Progress::more);
  auto last = decoder.feed(control(NLMSG_DONE, kSeq, 0));
  ASSERT_TRUE(last.ok()) << last.error().message;
  EXPECT_EQ(*last, Progress::done);
  auto info = decoder.finish();
  ASSERT_TRUE(info.ok()) << info.error().message;
  expect_full_device(*info);
}

TEST(NetlinkDump, MisalignedInputIsCopied) {
  const Message stream = full_dump();
  Message shifted(stream.size() + 1);
  std::memcpy(shifted.data() + 1, stream.data(), stream.size());
  auto info = decode_device_dump(std::span<const std::byte>(shifted).subspan(1), kFamilyId, kSeq);
  ASSERT_TRUE(info.ok()) << info.error().message;
  expect_full_device(*info);
}

TEST(NetlinkDump, EmptyDeviceAndScopedEndpoint) {
  const sockaddr_in6 ep = endpoint_v6("fe80::1", 51820, 3);
  auto info = decode_device_dump(one_peer_dump([&](Builder& b) { b.raw(WGPEER_A_ENDPOINT, &ep, sizeof ep); }),
                                 kFamilyId, kSeq);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_FALSE(info->public_key.has_value());
  ASSERT_EQ(info->peers.size(), 1u);
  EXPECT_EQ(info->peers[0].endpoint, "[fe80::1%3]:51820");
  EXPECT_TRUE(info->peers[0].allowed_ips.empty());
}

TEST(NetlinkDump, EveryTruncationFails) {
  const Message stream = full_dump();
  for (std::size_t size = 0; size < stream.size(); ++size) {
    auto info = decode_device_dump(std::span<const std::byte>(stream).first(size), kFamilyId, kSeq);
    EXPECT_FALSE(info.ok()) << "prefix of " << size << " bytes";
    if (!info.ok()) {
      EXPECT_EQ(info.error().code, Errc::corruption);
    }
  }
}

TEST(NetlinkDump, LengthBeyondDataIsTruncated) {
  Message stream = full_dump();
  const std::uint32_t len = static_cast<std::uint32_t>(stream.size() + 4);
  std::memcpy(stream.data(), &len, sizeof len);
  EXPECT_EQ(dump_error(stream), "truncated netlink message");
  // libmnl's own check reads these as negative ints and would let them through.
  for (std::uint32_t huge : {0x80000000u, 0xfffffffdu, 0xffffffffu}) {
    std::memcpy(stream.data(), &huge, sizeof huge);
    EXPECT_EQ(dump_error(stream), "truncated netlink message") << huge;
  }
}

TEST(NetlinkDump, TrailingBytesAreRefused) {
  Message stream = full_dump();
  stream.push_back(std::byte{0});
  stream.push_back(std::byte{0});
  EXPECT_EQ(dump_error(stream), "truncated netlink message");
  EXPECT_EQ(dump_error(cat({full_dump(), control(NLMSG_DONE, kSeq, 0)})), "message after end of dump");
}

TEST(NetlinkDump, WrongAttributeSizes) {
  Builder port(kFamilyId, kSeq);
  port.value<std::uint32_t>(WGDEVICE_A_LISTEN_PORT, 51820);
  EXPECT_EQ(dump_error(cat({port.done(), control(NLMSG_DONE, kSeq, 0)})), "bad listen port size");

  Builder device_key(kFamilyId, kSeq);
  device_key.raw(WGDEVICE_A_PUBLIC_KEY, "short", 5);
  EXPECT_EQ(dump_error(cat({device_key.done(), control(NLMSG_DONE, kSeq, 0)})), "bad device public key size");

  EXPECT_EQ(dump_error(one_peer_dump([](Builder& b) { b.value<std::uint32_t>(WGPEER_A_RX_BYTES, 1); })),
            "bad rx bytes size");
  EXPECT_EQ(dump_error(one_peer_dump([](Builder& b) { b.value<std::uint64_t>(WGPEER_A_LAST_HANDSHAKE_TIME, 1); })),
            "bad last handshake time size");
  const sockaddr_in ep = endpoint_v4("192.0.2.1", 1);
  EXPECT_EQ(dump_error(one_peer_dump([&](Builder& b) { b.raw(WGPEER_A_ENDPOINT, &ep, sizeof ep - 1); })),
            "bad endpoint");
}

TEST(NetlinkDump, PeerWithoutKey) {
  Builder b(kFamilyId, kSeq);
  b.begin(WGDEVICE_A_PEERS).begin(0).value<std::uint64_t>(WGPEER_A_RX_BYTES, 1).end().end();
  EXPECT_EQ(dump_error(cat({b.done(), control(NLMSG_DONE, kSeq, 0)})), "peer without public key");
}

TEST(NetlinkDump, BadAllowedIps) {
  const std::array<std::uint8_t, 16> zeros{};
  EXPECT_EQ(dump_error(one_ip_dump([](Builder& b) { b.v4("10.0.0.0", 33); })), "allowed ip cidr too long");
  EXPECT_EQ(dump_error(one_ip_dump([](Builder& b) { b.v6("fd00::", 129); })), "allowed ip cidr too long");
  EXPECT_EQ(dump_error(one_ip_dump([&](Builder& b) { b.allowed_ip(AF_INET, zeros.data(), 16, 8); })),
            "allowed ip address size mismatch");
  EXPECT_EQ(dump_error(one_ip_dump([&](Builder& b) { b.allowed_ip(AF_INET6, zeros.data(), 4, 8); })),
            "allowed ip address size mismatch");
  EXPECT_EQ(dump_error(one_ip_dump([&](Builder& b) { b.allowed_ip(AF_UNIX, zeros.data(), 4, 8); })),
            "bad allowed ip family");
  EXPECT_EQ(dump_error(one_ip_dump([](Builder& b) { b.v4("10.0.0.1", 24); })), "allowed ip host bits set");
  EXPECT_EQ(dump_error(one_ip_dump([&](Builder& b) {
              b.begin(0)
                  .value<std::uint16_t>(WGALLOWEDIP_A_FAMILY, AF_INET)
                  .raw(WGALLOWEDIP_A_IPADDR, zeros.data(), 4)
                  .end();
            })),
            "incomplete allowed ip");
  EXPECT_EQ(dump_error(one_ip_dump([&](Builder& b) {
              b.begin(0).value<std::uint16_t>(WGALLOWEDIP_A_CIDR_MASK, 8).end();
            })),
            "bad allowed ip cidr size");
}

TEST(NetlinkDump, DuplicatePeersAreRefused) {
  Builder b(kFamilyId, kSeq);
  b.begin(WGDEVICE_A_PEERS);
  b.begin(0).key(WGPEER_A_PUBLIC_KEY, key(1)).end();
  b.begin(0).key(WGPEER_A_PUBLIC_KEY, key(1)).end();
  b.end();
  EXPECT_EQ(dump_error(cat({b.done(), control(NLMSG_DONE, kSeq, 0)})), "duplicate peer public key");
}

TEST(NetlinkDump, KernelErrorsAndInterruptions) {
  EXPECT_EQ(dump_error(control(NLMSG_ERROR, kSeq, -ENODEV, 0), Errc::io), "No such device");
  EXPECT_EQ(dump_error(cat({first_dump_message(), control(NLMSG_DONE, kSeq, -EMSGSIZE)}), Errc::io),
            "Message too long");
  EXPECT_EQ(dump_error(cat({first_dump_message(), control(NLMSG_DONE, kSeq, 0, NLM_F_MULTI | NLM_F_DUMP_INTR)}),
                       Errc::unavailable),
            "device changed during dump");
  EXPECT_EQ(dump_error(control(NLMSG_ERROR, kSeq, 5, 0)), "bad netlink error code");
  EXPECT_EQ(dump_error(cat({Builder(kFamilyId + 1, kSeq).done(), control(NLMSG_DONE, kSeq, 0)})),
            "unexpected message type");
  EXPECT_EQ(dump_error(first_dump_message()), "dump not terminated");
}

// ---- SET_DEVICE

TEST(NetlinkPlan, RemoveFlagPutsEveryRemovalFirst) {
  const std::vector<AllowedIpsUpdate> updates = {
      {key(1), {prefix("10.0.0.5/32")}, {prefix("10.0.0.4/32")}},
      {key(2), {}, {prefix("fd00::9/128")}},
  };
  const auto changes = plan_changes(updates, RemovalMode::remove_flag, nullptr);
  const std::vector<PeerChange> expected = {
      {key(1), false, {{prefix("10.0.0.4/32"), true}}},
      {key(2), false, {{prefix("fd00::9/128"), true}}},
      {key(1), false, {{prefix("10.0.0.5/32"), false}}},
  };
  EXPECT_EQ(changes, expected);
}

TEST(NetlinkPlan, ReplaceListKeepsTheRest) {
  DeviceInfo current;
  current.peers.push_back(
      {key(1), {prefix("10.0.0.4/32"), prefix("fe80::1/128"), prefix("10.0.0.6/32")}, {}, {}, 0, 0});
  current.peers.push_back({key(3), {prefix("10.0.0.8/32")}, {}, {}, 0, 0});
  const std::vector<AllowedIpsUpdate> updates = {
      {key(1), {prefix("10.0.0.5/32")}, {prefix("10.0.0.4/32")}},
      {key(2), {}, {prefix("10.0.0.7/32")}},         // not on the device
      {key(3), {}, {prefix("10.0.0.9/32")}},         // holds none of them
      {key(1), {}, {prefix("10.0.0.6/32")}},         // same peer again: one REPLACE
  };
  const auto changes = plan_changes(updates, RemovalMode::replace_list, &current);
  const std::vector<PeerChange> expected = {
      {key(1), true, {{prefix("fe80::1/128"), false}}},
      {key(1), false, {{prefix("10.0.0.5/32"), false}}},
  };
  EXPECT_EQ(changes, expected);
}

TEST(NetlinkSet, OneMessageRoundTrip) {
  const std::vector<PeerChange> changes = {
      {key(1), false, {{prefix("10.0.0.4/32"), true}, {prefix("fd00::4/128"), true}}},
      {key(2), true, {{prefix("10.1.0.0/16"), false}}},
      {key(3), false, {{prefix("0.0.0.0/0"), false}, {prefix("::/0"), false}}},
  };
  const auto messages = encode_set_device(kFamily, kSeq, "wg0", changes);
  ASSERT_EQ(messages.size(), 1u);
  const auto peers = parse_set(messages[0], kSeq);
  ASSERT_EQ(peers.size(), 3u);
  for (std::size_t i = 0; i < peers.size(); ++i) {
    EXPECT_EQ(peers[i].key, changes[i].key);
    EXPECT_TRUE(peers[i].has_allowed_ips);
    EXPECT_EQ(peers[i].ips, changes[i].allowed_ips);
  }
  EXPECT_EQ(peers[0].flags, WGPEER_F_UPDATE_ONLY);
  EXPECT_EQ(peers[1].flags, WGPEER_F_UPDATE_ONLY | WGPEER_F_REPLACE_ALLOWEDIPS);
  EXPECT_EQ(peers[2].flags, WGPEER_F_UPDATE_ONLY);
}

TEST(NetlinkSet, ReplaceWithNothingLeftClearsThePeer) {
  const std::vector<PeerChange> changes = {{key(1), true, {}}, {key(2), false, {}}};
  const auto messages = encode_set_device(kFamily, kSeq, "wg0", changes);
  ASSERT_EQ(messages.size(), 1u);
  const auto peers = parse_set(messages[0], kSeq);
  ASSERT_EQ(peers.size(), 1u);  // the peer with nothing to do is left out
  EXPECT_EQ(peers[0].key, key(1));
  EXPECT_EQ(peers[0].flags, WGPEER_F_UPDATE_ONLY | WGPEER_F_REPLACE_ALLOWEDIPS);
  EXPECT_FALSE(peers[0].has_allowed_ips);
}

TEST(NetlinkSet, NothingToDoIsNoMessage) {
  EXPECT_TRUE(encode_set_device(kFamily, kSeq, "wg0", {}).empty());
}

std::vector<AllowedIpChange> many_prefixes(std::size_t count, bool remove) {
  std::vector<AllowedIpChange> out;
  for (std::size_t i = 0; i < count; ++i) {
    const auto host = static_cast<std::uint32_t>(0x0a000000u + i);
    out.push_back({net::Prefix(i % 2 ? net::Address::v4(host) : net::Address::v6(net::uint128{0xfd} << 120 | i),
                               i % 2 ? 32 : 128),
                   remove});
  }
  return out;
}

// Every message within the limit, numbered in order; REPLACE only where a peer starts.
void expect_split(const std::vector<PeerChange>& changes, std::size_t limit) {
  const auto messages = encode_set_device(kFamily, kSeq, "wg0", changes, limit);
  ASSERT_GT(messages.size(), 1u);
  std::vector<PeerChange> seen;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_LE(messages[i].size(), std::max(limit, kMinSetMessageSize));
    for (const SetPeer& peer : parse_set(messages[i], static_cast<std::uint32_t>(kSeq + i))) {
      EXPECT_TRUE(peer.flags & WGPEER_F_UPDATE_ONLY);
      const bool continues = !seen.empty() && seen.back().key == peer.key;
      if (continues) {
        EXPECT_FALSE(peer.flags & WGPEER_F_REPLACE_ALLOWEDIPS) << "message " << i;
        seen.back().allowed_ips.insert(seen.back().allowed_ips.end(), peer.ips.begin(), peer.ips.end());
      } else {
        seen.push_back({peer.key, (peer.flags & WGPEER_F_REPLACE_ALLOWEDIPS) != 0, peer.ips});
      }
    }
  }
  EXPECT_EQ(seen, changes);
}

TEST(NetlinkSet, ThreeThousandPrefixesSplitAndReplaceOnlyFirst) {
  const std::vector<PeerChange> changes = {{key(1), true, many_prefixes(3000, false)}};
  const auto messages = encode_set_device(kFamily, kSeq, "wg0", changes);
  EXPECT_GE(messages.size(), 20u);  // ~34 bytes per prefix, 4 KiB per message
  std::size_t replaces = 0;
  for (std::size_t i = 0; i < messages.size(); ++i)
    for (const SetPeer& peer : parse_set(messages[i], static_cast<std::uint32_t>(kSeq + i)))
      replaces += (peer.flags & WGPEER_F_REPLACE_ALLOWEDIPS) ? 1 : 0;
  EXPECT_EQ(replaces, 1u);
  expect_split(changes, kSetMessageSize);
}

TEST(NetlinkSet, ManyPeersPackAndSplit) {
  std::vector<PeerChange> changes;
  for (std::uint8_t i = 0; i < 40; ++i)
    changes.push_back({key(i), i % 3 == 0, many_prefixes(static_cast<std::size_t>(i) * 7 + 1, i % 2 == 0)});
  expect_split(changes, kSetMessageSize);
  expect_split(changes, 1000);
  expect_split(changes, 1);  // raised to kMinSetMessageSize
}

TEST(NetlinkAck, SuccessErrorAndStale) {
  auto ok = decode_ack(control(NLMSG_ERROR, 9, 0, 0), 9);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, Progress::done);
  auto stale = decode_ack(control(NLMSG_ERROR, 8, -EINVAL, 0), 9);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(*stale, Progress::more);
  auto refused = decode_ack(control(NLMSG_ERROR, 9, -EINVAL, 0), 9);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::io);
  EXPECT_EQ(refused.error().message, "Invalid argument");
  auto truncated = decode_ack(std::span<const std::byte>(control(NLMSG_ERROR, 9, 0, 0)).first(18), 9);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, Errc::corruption);
}

TEST(NetlinkKernel, RemoveFlagSinceSixSixteen) {
  EXPECT_TRUE(kernel_supports_remove_flag("6.16.0"));
  EXPECT_TRUE(kernel_supports_remove_flag("6.18.44-fc-v445"));
  EXPECT_TRUE(kernel_supports_remove_flag("7.0.1"));
  EXPECT_FALSE(kernel_supports_remove_flag("6.15.9-arch1-1"));
  EXPECT_FALSE(kernel_supports_remove_flag("6.1.0-28-amd64"));
  EXPECT_FALSE(kernel_supports_remove_flag("5.99"));
  EXPECT_FALSE(kernel_supports_remove_flag("6"));
  EXPECT_FALSE(kernel_supports_remove_flag("garbage"));
  EXPECT_FALSE(kernel_supports_remove_flag(""));
}

// ---- the socket side, as far as a machine without the WireGuard module allows

TEST(NetlinkDevice, BadInterfaceName) {
  auto device = make_netlink_device("no/slash");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.error().code, Errc::invalid_argument);
}

TEST(NetlinkDevice, FamilyNotFoundWithoutKernelModule) {
  auto device = make_netlink_device("lhtest0");
  if (device.ok()) GTEST_SKIP() << "this kernel has WireGuard";
  if (device.error().code == Errc::io) GTEST_SKIP() << "no generic netlink here: " << device.error().message;
  EXPECT_EQ(device.error().code, Errc::not_found);
  EXPECT_EQ(device.error().message, "no kernel WireGuard (generic netlink family 'wireguard' not found)");
}

}  // namespace
}  // namespace leasehold::wireguard::netlink
