#include "netif/rtnl_socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

namespace leasehold::netif {
namespace {

constexpr int kReceiveTimeoutSeconds = 5;

Error socket_error(const char* what) {
  return make_error(Errc::io, std::string("rtnetlink ") + what + ": " + std::strerror(errno));
}

}  // namespace

Result<RtnlSocket> RtnlSocket::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) return socket_error("socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error error = socket_error("bind");
    mnl_socket_close(nl);
    return error;
  }
  timeval timeout{kReceiveTimeoutSeconds, 0};
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // Lets the kernel filter dumps by interface and table. Older kernels lack it; the codec
  // filters again, so failure is harmless.
  int one = 1;
  mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  // Distinct sequence numbers across sockets make a stray reply easy to tell apart.
  return RtnlSocket(nl, mnl_socket_get_portid(nl), static_cast<std::uint32_t>(std::time(nullptr)));
}

RtnlSocket::RtnlSocket(RtnlSocket&& other) noexcept : nl_(other.nl_), portid_(other.portid_), seq_(other.seq_) {
  other.nl_ = nullptr;
}

RtnlSocket::~RtnlSocket() {
  if (nl_) mnl_socket_close(nl_);
}

Result<RtnlSocket::Outcome> RtnlSocket::exchange(const rtnl::Request& request, const rtnl::MessageFn& on_message) {
  const auto bytes = request.bytes();
  if (mnl_socket_sendto(nl_, bytes.data(), bytes.size()) < 0) return socket_error("send");
  // Heap, not stack: a dump datagram is 32 KiB. Words keep it aligned for nlmsghdr.
  auto buffer = std::make_unique<std::uint32_t[]>(rtnl::kReplyBufferSize / 4);
  Outcome outcome;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buffer.get(), rtnl::kReplyBufferSize);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error(Errc::io, "rtnetlink: no reply from the kernel");
      return socket_error("receive");
    }
    std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(buffer.get()), static_cast<std::size_t>(n));
    auto progress = rtnl::parse_reply(datagram, request.seq(), portid_, on_message);
    if (!progress) return progress.error();
    outcome.interrupted = outcome.interrupted || progress->interrupted;
    if (progress->done) {
      outcome.error = progress->error;
      return outcome;
    }
  }
}

}  // namespace leasehold::netif
