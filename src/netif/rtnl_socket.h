// RtnlSocket: one NETLINK_ROUTE socket (libmnl) and the request/reply loop over it. Blocking,
// with a receive timeout so that no reply can hang the caller; one request at a time.
// Not thread-safe: one socket per thread (or per call, as netif.cc uses them).
#pragma once

#include <cstdint>

#include "common/result.h"
#include "netif/rtnl_codec.h"

struct mnl_socket;

namespace leasehold::netif {

class RtnlSocket {
 public:
  static Result<RtnlSocket> open();
  RtnlSocket(RtnlSocket&& other) noexcept;
  RtnlSocket& operator=(RtnlSocket&&) = delete;
  RtnlSocket(const RtnlSocket&) = delete;
  ~RtnlSocket();

  std::uint32_t next_seq() { return ++seq_; }

  struct Outcome {
    int error = 0;             // the kernel's errno; 0 for success
    bool interrupted = false;  // a dump changed while it was read: its messages may be inconsistent
  };
  // Sends `request` and hands every data message of the reply to on_message, until the ack,
  // the error or the end of the dump. An Error is the socket's or a malformed reply's.
  Result<Outcome> exchange(const rtnl::Request& request, const rtnl::MessageFn& on_message);

 private:
  RtnlSocket(mnl_socket* nl, std::uint32_t portid, std::uint32_t seq) : nl_(nl), portid_(portid), seq_(seq) {}
  mnl_socket* nl_;
  std::uint32_t portid_;
  std::uint32_t seq_;
};

}  // namespace leasehold::netif
