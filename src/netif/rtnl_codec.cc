#include "netif/rtnl_codec.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace leasehold::netif {

bool LinkInfo::up() const { return (flags & IFF_UP) != 0; }
bool LinkInfo::running() const { return (flags & IFF_RUNNING) != 0; }
bool InterfaceAddress::tentative() const { return (flags & IFA_F_TENTATIVE) != 0; }
bool InterfaceAddress::permanent() const { return (flags & IFA_F_PERMANENT) != 0; }

const char* scope_name(AddressScope scope) {
  switch (scope) {
    case AddressScope::global: return "global";
    case AddressScope::site: return "site";
    case AddressScope::link: return "link";
    case AddressScope::host: return "host";
    case AddressScope::other: return "other";
  }
  return "other";
}

namespace rtnl {

// Builds one request in a Request's aligned storage. Our requests have a fixed, small shape,
// so running out of room is a programming error, not an input error.
class RequestBuilder {
 public:
  RequestBuilder(std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
    request_.seq_ = seq;
    nlh_ = mnl_nlmsg_put_header(request_.words_.data());
    nlh_->nlmsg_type = type;
    nlh_->nlmsg_flags = flags;
    nlh_->nlmsg_seq = seq;
  }
  RequestBuilder(const RequestBuilder&) = delete;
  RequestBuilder& operator=(const RequestBuilder&) = delete;

  template <class T>
  T* fixed_header() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }
  void put(std::uint16_t type, const void* data, std::size_t size) {
    // libmnl does not check the buffer size unless asked to.
    if (!mnl_attr_put_check(nlh_, kRequestBufferSize, type, size, data)) std::abort();
  }
  void put_u32(std::uint16_t type, std::uint32_t value) { put(type, &value, sizeof value); }
  void put_address(std::uint16_t type, const net::Address& address) {
    if (address.is_v4()) {
      const std::uint32_t v = address.v4_value();
      const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                     static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
      put(type, bytes, sizeof bytes);
    } else {
      const auto bytes = address.v6_bytes();
      put(type, bytes.data(), bytes.size());
    }
  }
  Request finish() {
    request_.size_ = nlh_->nlmsg_len;
    return request_;
  }

 private:
  Request request_;
  nlmsghdr* nlh_ = nullptr;
};

namespace {

constexpr std::uint32_t kForever = 0xffffffff;  // an address lifetime that never runs out

Error corrupt(std::string message) { return make_error(Errc::corruption, std::move(message)); }

std::uint8_t address_family(const net::Address& address) { return address.is_v4() ? AF_INET : AF_INET6; }

bool is_link_local(const net::Address& a) {
  if (a.is_v4()) return (a.v4_value() >> 16) == 0xa9fe;  // 169.254.0.0/16
  return (a.value() >> 118) == (net::uint128(0xfe80) >> 6);  // fe80::/10
}

bool is_multicast(const net::Address& a) {
  if (a.is_v4()) return (a.v4_value() >> 28) == 0xe;  // 224.0.0.0/4
  return (a.value() >> 120) == 0xff;                  // ff00::/8
}

// Attributes of one message by type; later duplicates win, as in the kernel's own parsing.
class AttrTable {
 public:
  static constexpr std::size_t kSize = 128;
  const nlattr* operator[](std::size_t type) const { return type < kSize ? table_[type] : nullptr; }

  // Walks the attributes itself: libmnl bounds the walk by the aligned message length, which
  // may reach past the bytes a decoder was given for a last, unpadded message.
  Status parse(const nlmsghdr* nlh, std::size_t fixed_header_size) {
    const auto* base = reinterpret_cast<const std::byte*>(nlh);
    const std::size_t end = nlh->nlmsg_len;
    std::size_t offset = MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(fixed_header_size);
    while (offset < end) {
      if (end - offset < sizeof(nlattr)) return corrupt("attribute header past the end of the message");
      const auto* attr = reinterpret_cast<const nlattr*>(base + offset);
      if (attr->nla_len < sizeof(nlattr) || attr->nla_len > end - offset)
        return corrupt("attribute past the end of the message");
      const std::uint16_t type = mnl_attr_get_type(attr);
      if (type < kSize) table_[type] = attr;
      offset += MNL_ALIGN(std::size_t{attr->nla_len});
    }
    return {};
  }

 private:
  std::array<const nlattr*, kSize> table_{};
};

Result<const nlmsghdr*> checked_header(std::span<const std::byte> message, std::uint16_t type, std::size_t fixed,
                                       const char* what) {
  if (message.size() < sizeof(nlmsghdr)) return corrupt(std::string("short ") + what + " message");
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > message.size())
    return corrupt(std::string("bad ") + what + " message length");
  if (nlh->nlmsg_type != type) return corrupt(std::string("not a ") + what + " message");
  if (mnl_nlmsg_get_payload_len(nlh) < fixed) return corrupt(std::string("short ") + what + " message");
  return nlh;
}

Result<net::Address> attr_address(const nlattr* attr, std::uint8_t family, const char* what) {
  const std::size_t size = mnl_attr_get_payload_len(attr);
  const auto* bytes = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
  if (family == AF_INET && size == 4)
    return net::Address::v4(std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
                            std::uint32_t{bytes[2]} << 8 | bytes[3]);
  if (family == AF_INET6 && size == 16) {
    std::array<std::uint8_t, 16> a6{};
    std::memcpy(a6.data(), bytes, a6.size());
    return net::Address::v6_bytes(a6);
  }
  return corrupt(std::string("bad ") + what + " length");
}

Result<std::uint32_t> attr_u32(const nlattr* attr, const char* what) {
  if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return corrupt(std::string("bad ") + what);
  return mnl_attr_get_u32(attr);
}

AddressScope to_scope(std::uint8_t scope) {
  switch (scope) {
    case RT_SCOPE_UNIVERSE: return AddressScope::global;
    case RT_SCOPE_SITE: return AddressScope::site;
    case RT_SCOPE_LINK: return AddressScope::link;
    case RT_SCOPE_HOST: return AddressScope::host;
    default: return AddressScope::other;
  }
}

Result<ReplyProgress> parse_aligned_reply(std::span<const std::byte> datagram, std::uint32_t seq, std::uint32_t portid,
                                          const MessageFn& on_message) {
  ReplyProgress progress;
  std::size_t offset = 0;
  // Bounds are checked here rather than with mnl_nlmsg_ok(), which casts the length to int and
  // so lets a length of 2^31 or more through.
  while (datagram.size() - offset >= sizeof(nlmsghdr)) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data() + offset);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > datagram.size() - offset)
      return corrupt("bad message length");
    if (!mnl_nlmsg_portid_ok(nlh, portid) || !mnl_nlmsg_seq_ok(nlh, seq)) return corrupt("reply to another request");
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) progress.interrupted = true;
    int kernel_error = 0;
    switch (nlh->nlmsg_type) {
      case NLMSG_ERROR:
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof kernel_error) return corrupt("short error message");
        std::memcpy(&kernel_error, mnl_nlmsg_get_payload(nlh), sizeof kernel_error);
        // Errors are negative errno values, an ack is 0; anything else is no kernel's.
        if (kernel_error > 0 || kernel_error == std::numeric_limits<int>::min()) return corrupt("bad error code");
        progress.done = true;
        progress.error = -kernel_error;
        return progress;
      case NLMSG_DONE:
        // The end of a dump may carry the error that cut it short.
        if (mnl_nlmsg_get_payload_len(nlh) >= sizeof kernel_error)
          std::memcpy(&kernel_error, mnl_nlmsg_get_payload(nlh), sizeof kernel_error);
        progress.done = true;
        progress.error = kernel_error < 0 && kernel_error != std::numeric_limits<int>::min() ? -kernel_error : 0;
        return progress;
      case NLMSG_OVERRUN: return corrupt("overrun");
      default:
        if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
          auto status = on_message({datagram.data() + offset, nlh->nlmsg_len});
          if (!status) return status.error();
        }
    }
    // A final message without its alignment padding ends the datagram too.
    offset = std::min(datagram.size(), offset + ((std::size_t{nlh->nlmsg_len} + 3) & ~std::size_t{3}));
  }
  if (offset != datagram.size()) return corrupt("truncated message");
  return progress;
}

}  // namespace

Result<Request> encode_get_link(std::string_view ifname, std::uint32_t seq) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return make_error(Errc::invalid_argument, "bad interface name");
  RequestBuilder b(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
  b.fixed_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
  char name[IFNAMSIZ] = {};
  std::memcpy(name, ifname.data(), ifname.size());
  b.put(IFLA_IFNAME, name, ifname.size() + 1);
  // Counters are of no use here and make the reply several times larger.
  b.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return b.finish();
}

Request encode_dump_addresses(unsigned ifindex, std::uint32_t seq) {
  RequestBuilder b(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
  auto* ifa = b.fixed_header<ifaddrmsg>();
  ifa->ifa_family = AF_UNSPEC;
  ifa->ifa_index = ifindex;
  return b.finish();
}

Request encode_dump_routes(net::Family family, unsigned ifindex, std::uint32_t seq) {
  RequestBuilder b(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq);
  auto* rtm = b.fixed_header<rtmsg>();
  rtm->rtm_family = family == net::Family::v4 ? AF_INET : AF_INET6;
  rtm->rtm_table = RT_TABLE_MAIN;
  b.put_u32(RTA_TABLE, RT_TABLE_MAIN);
  if (ifindex != 0) b.put_u32(RTA_OIF, ifindex);
  return b.finish();
}

Request encode_new_address(unsigned ifindex, const net::Address& address, int prefix_len, const AddOptions& options,
                           std::uint32_t seq) {
  const bool refresh = options.valid_lifetime_seconds.has_value();
  // Without a lifetime an existing address is left alone (EEXIST); with one it is refreshed.
  const std::uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (refresh ? NLM_F_REPLACE : NLM_F_EXCL);
  RequestBuilder b(RTM_NEWADDR, flags, seq);
  auto* ifa = b.fixed_header<ifaddrmsg>();
  ifa->ifa_family = address_family(address);
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix_len);
  ifa->ifa_flags = options.nodad ? IFA_F_NODAD : 0;
  // IPv6 derives the scope from the address; IPv4 takes it from here.
  ifa->ifa_scope = is_link_local(address) ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  b.put_address(IFA_LOCAL, address);
  b.put_address(IFA_ADDRESS, address);
  if (refresh) {
    ifa_cacheinfo lifetime{};
    lifetime.ifa_valid = *options.valid_lifetime_seconds;
    lifetime.ifa_prefered = *options.valid_lifetime_seconds;  // 0 would mean deprecated at once
    b.put(IFA_CACHEINFO, &lifetime, sizeof lifetime);
  }
  return b.finish();
}

Request encode_del_address(unsigned ifindex, const net::Address& address, int prefix_len, std::uint32_t seq) {
  RequestBuilder b(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq);
  auto* ifa = b.fixed_header<ifaddrmsg>();
  ifa->ifa_family = address_family(address);
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(prefix_len);
  ifa->ifa_index = ifindex;
  b.put_address(IFA_LOCAL, address);
  b.put_address(IFA_ADDRESS, address);
  return b.finish();
}

Result<ReplyProgress> parse_reply(std::span<const std::byte> datagram, std::uint32_t seq, std::uint32_t portid,
                                  const MessageFn& on_message) {
  if (reinterpret_cast<std::uintptr_t>(datagram.data()) % alignof(nlmsghdr) == 0)
    return parse_aligned_reply(datagram, seq, portid, on_message);
  std::vector<std::uint32_t> words((datagram.size() + 3) / 4);
  std::memcpy(words.data(), datagram.data(), datagram.size());
  return parse_aligned_reply({reinterpret_cast<const std::byte*>(words.data()), datagram.size()}, seq, portid,
                             on_message);
}

Result<LinkInfo> decode_link(std::span<const std::byte> message) {
  auto nlh = checked_header(message, RTM_NEWLINK, sizeof(ifinfomsg), "link");
  if (!nlh) return nlh.error();
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(*nlh));
  LinkInfo link;
  link.index = static_cast<unsigned>(ifi->ifi_index);
  link.flags = ifi->ifi_flags;
  AttrTable attrs;
  if (auto parsed = attrs.parse(*nlh, sizeof(ifinfomsg)); !parsed) return parsed.error();
  if (const nlattr* name = attrs[IFLA_IFNAME]) {
    if (mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0) return corrupt("bad interface name attribute");
    link.name = mnl_attr_get_str(name);
  }
  return link;
}

Result<std::optional<InterfaceAddress>> decode_address(std::span<const std::byte> message) {
  auto nlh = checked_header(message, RTM_NEWADDR, sizeof(ifaddrmsg), "address");
  if (!nlh) return nlh.error();
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(*nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::optional<InterfaceAddress>{};
  if (ifa->ifa_prefixlen > (ifa->ifa_family == AF_INET ? 32 : 128)) return corrupt("bad address prefix length");
  AttrTable attrs;
  if (auto parsed = attrs.parse(*nlh, sizeof(ifaddrmsg)); !parsed) return parsed.error();
  // IPv4 point-to-point addresses put the peer in IFA_ADDRESS; our own is IFA_LOCAL.
  const nlattr* which = attrs[IFA_LOCAL] ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (!which) return corrupt("address message without address");
  auto address = attr_address(which, ifa->ifa_family, "address");
  if (!address) return address.error();

  InterfaceAddress out;
  out.address = *address;
  out.prefix_len = ifa->ifa_prefixlen;
  out.scope = to_scope(ifa->ifa_scope);
  out.flags = ifa->ifa_flags;
  out.ifindex = ifa->ifa_index;
  if (const nlattr* flags = attrs[IFA_FLAGS]) {  // the full 32 bits, where ifa_flags has 8
    auto value = attr_u32(flags, "address flags");
    if (!value) return value.error();
    out.flags = *value;
  }
  if (const nlattr* info = attrs[IFA_CACHEINFO]) {
    if (mnl_attr_get_payload_len(info) < sizeof(ifa_cacheinfo)) return corrupt("bad address lifetime");
    ifa_cacheinfo lifetime{};
    std::memcpy(&lifetime, mnl_attr_get_payload(info), sizeof lifetime);
    if (lifetime.ifa_valid != kForever) out.valid_lifetime_seconds = lifetime.ifa_valid;
  }
  return std::optional<InterfaceAddress>(out);
}

Result<std::optional<RouteEntry>> decode_route(std::span<const std::byte> message) {
  auto nlh = checked_header(message, RTM_NEWROUTE, sizeof(rtmsg), "route");
  if (!nlh) return nlh.error();
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(*nlh));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return std::optional<RouteEntry>{};
  const int bits = rtm->rtm_family == AF_INET ? 32 : 128;
  if (rtm->rtm_dst_len > bits) return corrupt("bad route prefix length");
  AttrTable attrs;
  if (auto parsed = attrs.parse(*nlh, sizeof(rtmsg)); !parsed) return parsed.error();

  RouteEntry route;
  net::Address dst = rtm->rtm_family == AF_INET ? net::Address::v4(0) : net::Address::v6(0);
  if (const nlattr* a = attrs[RTA_DST]) {
    auto parsed = attr_address(a, rtm->rtm_family, "route destination");
    if (!parsed) return parsed.error();
    dst = *parsed;
  }
  // The kernel never sets host bits; clearing them keeps the value a proper prefix anyway.
  route.destination = net::Prefix(net::Prefix(dst, rtm->rtm_dst_len).first(), rtm->rtm_dst_len);
  route.table = rtm->rtm_table;
  if (const nlattr* a = attrs[RTA_TABLE]) {
    auto table = attr_u32(a, "route table");
    if (!table) return table.error();
    route.table = *table;
  }
  if (const nlattr* a = attrs[RTA_OIF]) {
    auto oif = attr_u32(a, "route interface");
    if (!oif) return oif.error();
    route.oif = *oif;
  }
  route.type = rtm->rtm_type;
  route.protocol = rtm->rtm_protocol;
  route.scope = rtm->rtm_scope;
  route.flags = rtm->rtm_flags;
  route.has_gateway = attrs[RTA_GATEWAY] != nullptr || attrs[RTA_VIA] != nullptr;
  route.multipath = attrs[RTA_MULTIPATH] != nullptr;
  return std::optional<RouteEntry>(route);
}

std::optional<net::Prefix> pool_prefix(const RouteEntry& route, unsigned ifindex) {
  const net::Prefix& dst = route.destination;
  const int length = dst.length();
  if (route.table != RT_TABLE_MAIN || route.type != RTN_UNICAST || route.oif != ifindex || ifindex == 0)
    return std::nullopt;
  if (route.has_gateway || route.multipath || (route.flags & RTM_F_CLONED)) return std::nullopt;
  if (length == 0 || length == net::family_bits(dst.family())) return std::nullopt;
  // A prefix reaching into link-local or multicast space is no pool either.
  if (is_link_local(dst.first()) || is_link_local(dst.last())) return std::nullopt;
  if (is_multicast(dst.first()) || is_multicast(dst.last())) return std::nullopt;
  return dst;
}

}  // namespace rtnl
}  // namespace leasehold::netif
