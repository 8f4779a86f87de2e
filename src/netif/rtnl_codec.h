// rtnetlink messages for the few requests netif makes (links, addresses, routes): encoding of
// requests and decoding of the kernel's replies, built on libmnl's message helpers. Pure: no
// sockets, no system calls, so tests and the fuzzer can feed it made-up replies.
// Owns the wire layout and the judgement of which routes are plain pool prefixes; the socket
// and the request/reply loop are rtnl_socket.h's. Safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.h"
#include "netif/types.h"

namespace leasehold::netif::rtnl {

// Our requests are small: a header, a fixed struct and a few attributes.
inline constexpr std::size_t kRequestBufferSize = 512;
// Replies: the kernel fills dump datagrams up to 32 KiB; a smaller buffer would truncate them.
inline constexpr std::size_t kReplyBufferSize = 32768;

// One encoded request, in storage aligned for struct nlmsghdr.
class Request {
 public:
  std::span<const std::byte> bytes() const { return {reinterpret_cast<const std::byte*>(words_.data()), size_}; }
  std::uint32_t seq() const { return seq_; }

 private:
  friend class RequestBuilder;
  std::array<std::uint32_t, kRequestBufferSize / 4> words_{};
  std::size_t size_ = 0;
  std::uint32_t seq_ = 0;
};

// REQUIRES for every encoder: seq is the sequence number the reply must carry.
// Errors: an interface name that cannot be sent (empty, or IFNAMSIZ bytes or more).
Result<Request> encode_get_link(std::string_view ifname, std::uint32_t seq);
// Dumps; ifindex (0: all) and table fill the strict-check filter fields, which kernels
// without NETLINK_GET_STRICT_CHK ignore: decoding filters again.
Request encode_dump_addresses(unsigned ifindex, std::uint32_t seq);
// One family at a time (AF_UNSPEC would also dump multicast and MPLS routes).
Request encode_dump_routes(net::Family family, unsigned ifindex, std::uint32_t seq);
// REQUIRES: 0 <= prefix_len <= family bits of `address`.
Request encode_new_address(unsigned ifindex, const net::Address& address, int prefix_len, const AddOptions& options,
                           std::uint32_t seq);
Request encode_del_address(unsigned ifindex, const net::Address& address, int prefix_len, std::uint32_t seq);

// Where a reply stands after one datagram.
struct ReplyProgress {
  bool done = false;         // an ack, an error or the end of a dump was seen
  int error = 0;             // the kernel's errno (positive); 0 for an ack or a finished dump
  bool interrupted = false;  // a dump changed while it was read (NLM_F_DUMP_INTR): ask again
};

// Called with each data message (header included) of the reply, in order.
using MessageFn = std::function<Status(std::span<const std::byte> message)>;

// Walks one datagram of the reply to request `seq` from the kernel (port id 0) to socket
// `portid`. Messages of another sequence or port are corruption; so is a message whose
// length does not fit. Stops at the first ack, error or NLMSG_DONE. Any alignment of
// `datagram` is accepted.
Result<ReplyProgress> parse_reply(std::span<const std::byte> datagram, std::uint32_t seq, std::uint32_t portid,
                                  const MessageFn& on_message);

// Decoders of one data message, as parse_reply hands them over (REQUIRES: 4-byte aligned).
// Errors (Errc::corruption): a wrong message type, a short payload, a malformed attribute.
Result<LinkInfo> decode_link(std::span<const std::byte> message);
// nullopt: an address of a family other than IPv4 and IPv6.
Result<std::optional<InterfaceAddress>> decode_address(std::span<const std::byte> message);
// nullopt: a route of a family other than IPv4 and IPv6.
Result<std::optional<RouteEntry>> decode_route(std::span<const std::byte> message);

// The route's destination if it is a plain unicast prefix of the main table leaving through
// interface `ifindex`: no gateway, not multipath, not cloned, not a host route (/32, /128), not
// a default route, not link-local (fe80::/10, 169.254.0.0/16) and not multicast. Anything
// else is nullopt, never an error: routes an administrator adds must not break a server.
std::optional<net::Prefix> pool_prefix(const RouteEntry& route, unsigned ifindex);

}  // namespace leasehold::netif::rtnl
