#include "netif/rtnl_codec.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

namespace leasehold::netif::rtnl {
namespace {

constexpr std::uint32_t kSeq = 4711;
constexpr std::uint32_t kPort = 99;

net::Address addr(const char* text) { return *net::Address::parse(text); }
net::Prefix prefix(const char* text) { return *net::Prefix::parse(text); }

// Builds kernel-style replies: one datagram of messages, each aligned as the kernel does.
class Datagram {
 public:
  nlmsghdr* begin(std::uint16_t type, std::uint16_t flags = NLM_F_MULTI) {
    current_ = mnl_nlmsg_put_header(words_.data() + used_ / 4);
    current_->nlmsg_type = type;
    current_->nlmsg_flags = flags;
    current_->nlmsg_seq = kSeq;
    current_->nlmsg_pid = kPort;
    return current_;
  }
  template <class T>
  T* fixed() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(current_, sizeof(T)));
  }
  void put(std::uint16_t type, const void* data, std::size_t size) {
    ASSERT_TRUE(mnl_attr_put_check(current_, capacity(), type, size, data));
  }
  void put_u32(std::uint16_t type, std::uint32_t value) { put(type, &value, sizeof value); }
  void put_address(std::uint16_t type, const net::Address& a) {
    if (a.is_v4()) {
      std::uint32_t be = htonl(a.v4_value());
      put(type, &be, 4);
    } else {
      auto bytes = a.v6_bytes();
      put(type, bytes.data(), 16);
    }
  }
  void end() { used_ += MNL_ALIGN(current_->nlmsg_len); }

  void done(int error = 0) {
    begin(NLMSG_DONE);
    std::memcpy(mnl_nlmsg_put_extra_header(current_, sizeof error), &error, sizeof error);
    end();
  }
  void ack(int error) {
    begin(NLMSG_ERROR, 0);
    auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(current_, sizeof(nlmsgerr)));
    err->error = error;
    end();
  }

  std::span<const std::byte> bytes() const { return {reinterpret_cast<const std::byte*>(words_.data()), used_}; }
  // The message just ended, as parse_reply would hand it over.
  std::span<const std::byte> last() const { return {reinterpret_cast<const std::byte*>(current_), current_->nlmsg_len}; }

 private:
  std::size_t capacity() const { return sizeof(words_) - used_; }
  std::array<std::uint32_t, 2048> words_{};
  std::size_t used_ = 0;
  nlmsghdr* current_ = nullptr;
};

void add_address_message(Datagram& d, const char* text, int len, std::uint8_t scope, unsigned index,
                         std::uint32_t flags = IFA_F_PERMANENT) {
  const auto a = addr(text);
  d.begin(RTM_NEWADDR);
  auto* ifa = d.fixed<ifaddrmsg>();
  ifa->ifa_family = a.is_v4() ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(len);
  ifa->ifa_flags = static_cast<std::uint8_t>(flags);
  ifa->ifa_scope = scope;
  ifa->ifa_index = index;
  d.put_address(IFA_ADDRESS, a);
  if (a.is_v4()) d.put_address(IFA_LOCAL, a);
  d.put_u32(IFA_FLAGS, flags);
  d.end();
}

struct RouteSpec {
  const char* dst = "10.0.0.0";
  int len = 24;
  unsigned oif = 3;
  std::uint32_t table = RT_TABLE_MAIN;
  std::uint8_t type = RTN_UNICAST;
  const char* gateway = nullptr;
  bool multipath = false;
  std::uint32_t flags = 0;
};

void add_route_message(Datagram& d, const RouteSpec& spec) {
  const auto dst = addr(spec.dst);
  d.begin(RTM_NEWROUTE);
  auto* rtm = d.fixed<rtmsg>();
  rtm->rtm_family = dst.is_v4() ? AF_INET : AF_INET6;
  rtm->rtm_dst_len = static_cast<std::uint8_t>(spec.len);
  rtm->rtm_table = static_cast<std::uint8_t>(spec.table < 256 ? spec.table : RT_TABLE_COMPAT);
  rtm->rtm_type = spec.type;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_LINK;
  rtm->rtm_flags = spec.flags;
  d.put_u32(RTA_TABLE, spec.table);
  if (spec.len > 0) d.put_address(RTA_DST, dst);
  if (spec.oif) d.put_u32(RTA_OIF, spec.oif);
  if (spec.gateway) d.put_address(RTA_GATEWAY, addr(spec.gateway));
  if (spec.multipath) d.put(RTA_MULTIPATH, "\0\0\0\0\0\0\0\0", 8);
  d.end();
}

std::optional<net::Prefix> judge(const RouteSpec& spec, unsigned ifindex = 3) {
  Datagram d;
  add_route_message(d, spec);
  auto route = decode_route(d.last());
  EXPECT_TRUE(route.ok() && route->has_value());
  if (!route.ok() || !route->has_value()) return std::nullopt;
  return pool_prefix(**route, ifindex);
}

const nlmsghdr* header_of(const Request& r) { return reinterpret_cast<const nlmsghdr*>(r.bytes().data()); }

// Finds attribute `type` in an encoded request.
const nlattr* find_attr(const Request& r, std::size_t fixed, std::uint16_t type) {
  const nlmsghdr* nlh = header_of(r);
  const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, fixed));
  const nlattr* found = nullptr;
  for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr))
    if (mnl_attr_get_type(attr) == type) found = attr;
  return found;
}

// --- encoding ---

TEST(RtnlEncode, GetLink) {
  auto r = encode_get_link("wg0", 7);
  ASSERT_TRUE(r.ok());
  const nlmsghdr* nlh = header_of(*r);
  EXPECT_EQ(nlh->nlmsg_type, RTM_GETLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(nlh->nlmsg_seq, 7u);
  EXPECT_EQ(r->seq(), 7u);
  EXPECT_EQ(nlh->nlmsg_len, r->bytes().size());
  const nlattr* name = find_attr(*r, sizeof(ifinfomsg), IFLA_IFNAME);
  ASSERT_NE(name, nullptr);
  EXPECT_STREQ(mnl_attr_get_str(name), "wg0");
  EXPECT_FALSE(encode_get_link("", 1).ok());
  EXPECT_FALSE(encode_get_link("sixteen-bytes-xx", 1).ok());
  EXPECT_TRUE(encode_get_link("fifteen-bytes-x", 1).ok());
}

TEST(RtnlEncode, NewAddressNodadExclusive) {
  auto r = encode_new_address(5, addr("10.47.0.9"), 32, AddOptions{}, 3);
  const nlmsghdr* nlh = header_of(r);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_INET);
  EXPECT_EQ(ifa->ifa_prefixlen, 32);
  EXPECT_EQ(ifa->ifa_flags, IFA_F_NODAD);
  EXPECT_EQ(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
  EXPECT_EQ(ifa->ifa_index, 5u);
  const nlattr* local = find_attr(r, sizeof(ifaddrmsg), IFA_LOCAL);
  ASSERT_NE(local, nullptr);
  ASSERT_EQ(mnl_attr_get_payload_len(local), 4u);
  EXPECT_EQ(std::memcmp(mnl_attr_get_payload(local), "\x0a\x2f\x00\x09", 4), 0);
  EXPECT_EQ(find_attr(r, sizeof(ifaddrmsg), IFA_CACHEINFO), nullptr);
}

TEST(RtnlEncode, NewAddressWithLifetimeRefreshes) {
  auto r = encode_new_address(5, addr("fe80::1"), 64, AddOptions{false, 300}, 3);
  const nlmsghdr* nlh = header_of(r);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_INET6);
  EXPECT_EQ(ifa->ifa_flags, 0);
  EXPECT_EQ(ifa->ifa_scope, RT_SCOPE_LINK);
  const nlattr* info = find_attr(r, sizeof(ifaddrmsg), IFA_CACHEINFO);
  ASSERT_NE(info, nullptr);
  ifa_cacheinfo lifetime{};
  std::memcpy(&lifetime, mnl_attr_get_payload(info), sizeof lifetime);
  EXPECT_EQ(lifetime.ifa_valid, 300u);
  EXPECT_EQ(lifetime.ifa_prefered, 300u);
  const nlattr* local = find_attr(r, sizeof(ifaddrmsg), IFA_LOCAL);
  ASSERT_EQ(mnl_attr_get_payload_len(local), 16u);
}

TEST(RtnlEncode, DelAddressAndDumps) {
  auto del = encode_del_address(9, addr("fd00::5"), 128, 11);
  EXPECT_EQ(header_of(del)->nlmsg_type, RTM_DELADDR);
  EXPECT_EQ(header_of(del)->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  auto addrs = encode_dump_addresses(9, 12);
  EXPECT_EQ(header_of(addrs)->nlmsg_type, RTM_GETADDR);
  EXPECT_EQ(header_of(addrs)->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  auto routes = encode_dump_routes(net::Family::v6, 9, 13);
  EXPECT_EQ(header_of(routes)->nlmsg_type, RTM_GETROUTE);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(header_of(routes)));
  EXPECT_EQ(rtm->rtm_family, AF_INET6);
  EXPECT_EQ(rtm->rtm_table, RT_TABLE_MAIN);
  const nlattr* oif = find_attr(routes, sizeof(rtmsg), RTA_OIF);
  ASSERT_NE(oif, nullptr);
  EXPECT_EQ(mnl_attr_get_u32(oif), 9u);
}

// --- replies ---

TEST(RtnlReply, DumpUntilDone) {
  Datagram d;
  add_address_message(d, "10.0.0.1", 24, RT_SCOPE_UNIVERSE, 3);
  add_address_message(d, "fe80::1", 64, RT_SCOPE_LINK, 3);
  d.done();
  int seen = 0;
  auto progress = parse_reply(d.bytes(), kSeq, kPort, [&](std::span<const std::byte>) -> Status {
    ++seen;
    return {};
  });
  ASSERT_TRUE(progress.ok());
  EXPECT_TRUE(progress->done);
  EXPECT_EQ(progress->error, 0);
  EXPECT_EQ(seen, 2);
}

TEST(RtnlReply, PartialDumpNeedsMore) {
  Datagram d;
  add_address_message(d, "10.0.0.1", 24, RT_SCOPE_UNIVERSE, 3);
  auto progress = parse_reply(d.bytes(), kSeq, kPort, [](std::span<const std::byte>) -> Status { return {}; });
  ASSERT_TRUE(progress.ok());
  EXPECT_FALSE(progress->done);
}

TEST(RtnlReply, AckAndError) {
  Datagram ack;
  ack.ack(0);
  auto p = parse_reply(ack.bytes(), kSeq, kPort, nullptr);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->done);
  EXPECT_EQ(p->error, 0);
  Datagram err;
  err.ack(-EEXIST);
  p = parse_reply(err.bytes(), kSeq, kPort, nullptr);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->error, EEXIST);
  Datagram bad;
  bad.ack(5);
  EXPECT_FALSE(parse_reply(bad.bytes(), kSeq, kPort, nullptr).ok());
}

TEST(RtnlReply, DoneCarriesDumpError) {
  Datagram d;
  d.done(-EBUSY);
  auto p = parse_reply(d.bytes(), kSeq, kPort, nullptr);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->error, EBUSY);
}

TEST(RtnlReply, ForeignSequenceOrPortIsCorruption) {
  Datagram d;
  d.ack(0);
  EXPECT_FALSE(parse_reply(d.bytes(), kSeq + 1, kPort, nullptr).ok());
  EXPECT_FALSE(parse_reply(d.bytes(), kSeq, kPort + 1, nullptr).ok());
}

TEST(RtnlReply, TruncatedAndMisaligned) {
  Datagram d;
  add_address_message(d, "10.0.0.1", 24, RT_SCOPE_UNIVERSE, 3);
  d.done();
  auto all = d.bytes();
  auto ignore = [](std::span<const std::byte>) -> Status { return {}; };
  for (std::size_t cut = 1; cut < all.size(); ++cut) {
    auto p = parse_reply(all.first(cut), kSeq, kPort, ignore);
    // Either an honest "need more" at a message boundary, or corruption: never a crash.
    if (p.ok()) {
      EXPECT_FALSE(p->done);
    }
  }
  std::vector<std::byte> shifted(all.size() + 1);
  std::memcpy(shifted.data() + 1, all.data(), all.size());
  auto p = parse_reply(std::span(shifted).subspan(1), kSeq, kPort, ignore);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->done);
}

TEST(RtnlReply, LengthBeyondTwoGigabytesIsCorruption) {
  // libmnl's own check casts the length to int and would let this through (found by fuzzing).
  Datagram d;
  d.ack(0);
  std::vector<std::byte> bytes(d.bytes().begin(), d.bytes().end());
  const std::uint32_t huge = 0xfff60028;
  std::memcpy(bytes.data(), &huge, sizeof huge);
  EXPECT_FALSE(parse_reply(bytes, kSeq, kPort, nullptr).ok());
}

TEST(RtnlReply, CallbackErrorStops) {
  Datagram d;
  add_address_message(d, "10.0.0.1", 24, RT_SCOPE_UNIVERSE, 3);
  d.done();
  auto p = parse_reply(d.bytes(), kSeq, kPort,
                       [](std::span<const std::byte>) -> Status { return make_error(Errc::corruption, "no"); });
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "no");
}

// --- decoding ---

TEST(RtnlDecode, Link) {
  Datagram d;
  d.begin(RTM_NEWLINK, 0);
  auto* ifi = d.fixed<ifinfomsg>();
  ifi->ifi_index = 42;
  ifi->ifi_flags = IFF_UP | IFF_RUNNING | IFF_POINTOPOINT;
  d.put(IFLA_IFNAME, "wg0", 4);
  d.end();
  auto link = decode_link(d.last());
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->index, 42u);
  EXPECT_EQ(link->name, "wg0");
  EXPECT_TRUE(link->up());
  EXPECT_TRUE(link->running());
}

TEST(RtnlDecode, LinkNameWithoutNulIsCorruption) {
  Datagram d;
  d.begin(RTM_NEWLINK, 0);
  d.fixed<ifinfomsg>();
  d.put(IFLA_IFNAME, "wg0x", 4);
  d.end();
  EXPECT_FALSE(decode_link(d.last()).ok());
}

TEST(RtnlDecode, Addresses) {
  Datagram d;
  add_address_message(d, "10.0.0.1", 24, RT_SCOPE_UNIVERSE, 3);
  auto v4 = decode_address(d.last());
  ASSERT_TRUE(v4.ok() && v4->has_value());
  EXPECT_EQ((*v4)->address, addr("10.0.0.1"));
  EXPECT_EQ((*v4)->prefix_len, 24);
  EXPECT_EQ((*v4)->scope, AddressScope::global);
  EXPECT_EQ((*v4)->ifindex, 3u);
  EXPECT_TRUE((*v4)->permanent());

  add_address_message(d, "fe80::1", 64, RT_SCOPE_LINK, 3, IFA_F_TENTATIVE | IFA_F_NOPREFIXROUTE);
  auto v6 = decode_address(d.last());
  ASSERT_TRUE(v6.ok() && v6->has_value());
  EXPECT_EQ((*v6)->scope, AddressScope::link);
  EXPECT_TRUE((*v6)->tentative());
  EXPECT_EQ((*v6)->flags, std::uint32_t{IFA_F_TENTATIVE | IFA_F_NOPREFIXROUTE});  // IFA_FLAGS: all 32 bits
  EXPECT_FALSE((*v6)->valid_lifetime_seconds);
}

TEST(RtnlDecode, AddressLifetime) {
  Datagram d;
  d.begin(RTM_NEWADDR);
  auto* ifa = d.fixed<ifaddrmsg>();
  ifa->ifa_family = AF_INET6;
  ifa->ifa_prefixlen = 128;
  d.put_address(IFA_ADDRESS, addr("fd00::5"));
  ifa_cacheinfo info{};
  info.ifa_valid = 17;
  d.put(IFA_CACHEINFO, &info, sizeof info);
  d.end();
  auto a = decode_address(d.last());
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->valid_lifetime_seconds, 17u);
}

TEST(RtnlDecode, BadAddressMessages) {
  Datagram d;
  d.begin(RTM_NEWADDR);
  auto* ifa = d.fixed<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = 33;
  d.put_address(IFA_ADDRESS, addr("10.0.0.1"));
  d.end();
  EXPECT_FALSE(decode_address(d.last()).ok());

  d.begin(RTM_NEWADDR);
  d.fixed<ifaddrmsg>()->ifa_family = AF_INET;
  d.put_address(IFA_ADDRESS, addr("fd00::1"));  // 16 bytes for an IPv4 address
  d.end();
  EXPECT_FALSE(decode_address(d.last()).ok());

  d.begin(RTM_NEWADDR);
  d.fixed<ifaddrmsg>()->ifa_family = AF_INET;
  d.end();
  EXPECT_FALSE(decode_address(d.last()).ok());  // no address at all

  d.begin(RTM_NEWADDR);
  d.end();  // no ifaddrmsg
  EXPECT_FALSE(decode_address(d.last()).ok());

  d.begin(RTM_NEWROUTE);
  d.fixed<rtmsg>();
  d.end();
  EXPECT_FALSE(decode_address(d.last()).ok());  // wrong type

  d.begin(RTM_NEWADDR);
  d.fixed<ifaddrmsg>()->ifa_family = AF_PACKET;
  d.end();
  auto other = decode_address(d.last());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST(RtnlDecode, Route) {
  Datagram d;
  add_route_message(d, RouteSpec{.dst = "10.47.0.0", .len = 16, .oif = 7, .gateway = "10.0.0.1"});
  auto r = decode_route(d.last());
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->destination, prefix("10.47.0.0/16"));
  EXPECT_EQ((*r)->oif, 7u);
  EXPECT_EQ((*r)->table, std::uint32_t{RT_TABLE_MAIN});
  EXPECT_TRUE((*r)->has_gateway);
  EXPECT_FALSE((*r)->multipath);
}

// Found by the fuzzer: a last, unpadded message (46 bytes) whose final attribute claims 8
// bytes but has 6. libmnl would walk to the aligned length (48) and read past the buffer.
TEST(RtnlDecode, AttributePastTheEndOfAnUnpaddedMessageIsCorruption) {
  alignas(4) const std::uint8_t bytes[] = {
      0x2e, 0, 0, 0, RTM_NEWROUTE, 0, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0,  // header, length 46
      AF_INET, 32, 0, 0, 0xfe, 3, 0xfd, 1, 0, 0, 0, 0,                 // rtmsg
      10, 0, 15, 0, 10, 0, 15, 0, 0xfe, 0, 0, 0,                        // RTA_TABLE, 10 bytes
      8, 0, 1, 0, 10, 0};                                               // RTA_DST, 8 claimed, 6 there
  std::vector<std::byte> message(sizeof bytes);
  std::memcpy(message.data(), bytes, sizeof bytes);
  auto r = decode_route(message);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "attribute past the end of the message");
}

TEST(RtnlDecode, RouteHostBitsAreCleared) {
  Datagram d;
  add_route_message(d, RouteSpec{.dst = "10.47.3.9", .len = 16});
  auto r = decode_route(d.last());
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->destination, prefix("10.47.0.0/16"));
}

// --- which routes are pools ---

TEST(RtnlPoolPrefix, PlainPrefixesOfTheInterface) {
  EXPECT_EQ(judge({.dst = "10.47.0.0", .len = 16}), prefix("10.47.0.0/16"));
  EXPECT_EQ(judge({.dst = "fd00:47::", .len = 64}), prefix("fd00:47::/64"));
  EXPECT_EQ(judge({.dst = "fd00::", .len = 127}), prefix("fd00::/127"));
}

TEST(RtnlPoolPrefix, EverythingElseIsSkipped) {
  EXPECT_FALSE(judge({.oif = 4}));                                // another interface
  EXPECT_FALSE(judge({.oif = 0, .multipath = true}));             // multipath
  EXPECT_FALSE(judge({.gateway = "10.0.0.1"}));                   // via a gateway
  EXPECT_FALSE(judge({.table = 100}));                            // another table
  EXPECT_FALSE(judge({.table = RT_TABLE_LOCAL, .type = RTN_LOCAL}));
  EXPECT_FALSE(judge({.type = RTN_BLACKHOLE}));
  EXPECT_FALSE(judge({.flags = RTM_F_CLONED}));
  EXPECT_FALSE(judge({.dst = "0.0.0.0", .len = 0}));              // default
  EXPECT_FALSE(judge({.dst = "::", .len = 0}));
  EXPECT_FALSE(judge({.dst = "10.0.0.5", .len = 32}));            // host routes
  EXPECT_FALSE(judge({.dst = "fd00::5", .len = 128}));
  EXPECT_FALSE(judge({.dst = "fe80::", .len = 64}));              // link-local
  EXPECT_FALSE(judge({.dst = "169.254.0.0", .len = 16}));
  EXPECT_FALSE(judge({.dst = "ff00::", .len = 8}));               // multicast
  EXPECT_FALSE(judge({.dst = "224.0.0.0", .len = 4}));
  EXPECT_FALSE(judge({.dst = "8000::", .len = 1}));               // reaches into both
  EXPECT_FALSE(judge({.dst = "10.0.0.0", .len = 8}, 0));          // no interface
}

}  // namespace
}  // namespace leasehold::netif::rtnl
