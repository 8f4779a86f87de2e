#include "client/exchange.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wgdyn/frame.h"

namespace leasehold::client {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ < 0) return;
    // Closing with a reset leaves no TIME_WAIT behind: the next exchange binds the same
    // address and port to the same server, and would otherwise fail to connect for a minute.
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in6 socket_address(const net::Address& address, std::uint16_t port, unsigned ifindex) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  const auto bytes = address.v6_bytes();
  std::memcpy(sa.sin6_addr.s6_addr, bytes.data(), bytes.size());
  sa.sin6_scope_id = ifindex;
  return sa;
}

Error os_error(const std::string& what, int error) { return make_error(Errc::io, what + ": " + std::strerror(error)); }

// Waits until `fd` is ready for `events`, the deadline passes, or abort_fd is readable.
Status wait_for(int fd, short events, Clock::time_point deadline, int abort_fd, const char* what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return make_error(Errc::io, std::string("timed out ") + what);
    pollfd fds[2] = {{fd, events, 0}, {abort_fd, POLLIN, 0}};
    const int n = ::poll(fds, abort_fd >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("poll", errno);
    if (abort_fd >= 0 && (fds[1].revents & POLLIN)) return make_error(Errc::unavailable, "interrupted");
    if (fds[0].revents) return {};
  }
}

Status connect_to(const Socket& socket, const Endpoints& ep, Clock::time_point deadline, int abort_fd) {
  const sockaddr_in6 to = socket_address(ep.server, ep.port, ep.ifindex);
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) return {};
  if (errno != EINPROGRESS) return os_error("connect", errno);
  if (auto ready = wait_for(socket.fd(), POLLOUT, deadline, abort_fd, "connecting"); !ready) return ready;
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return os_error("connect", error);
  return {};
}

Status send_all(const Socket& socket, const std::string& bytes, Clock::time_point deadline, int abort_fd) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(socket.fd(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (auto ready = wait_for(socket.fd(), POLLOUT, deadline, abort_fd, "sending"); !ready) return ready;
    } else {
      return os_error("send", errno);
    }
  }
  return {};
}

Result<std::string> receive_message(const Socket& socket, Clock::time_point deadline, int abort_fd) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    const wgdyn::FrameResult frame = wgdyn::find_message(buffer);
    if (frame.is_complete()) return buffer.substr(0, frame.length);
    if (frame.is_error())
      return make_error(Errc::corruption, std::string("bad response: ") + wgdyn::frame_error_message(frame.status));
    if (auto ready = wait_for(socket.fd(), POLLIN, deadline, abort_fd, "waiting for the response"); !ready)
      return ready.error();
    const ssize_t n = ::recv(socket.fd(), chunk, sizeof chunk, 0);
    if (n == 0)
      return make_error(Errc::io, buffer.empty() ? "connection closed without a response (not a known peer?)"
                                                 : "connection closed in the middle of the response");
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n < 0) return os_error("receive", errno);
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<std::string> exchange(const Endpoints& ep, const std::string& request, std::chrono::milliseconds timeout,
                             int abort_fd) {
  const auto deadline = Clock::now() + timeout;
  Socket socket(::socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return os_error("socket", errno);
  int one = 1;
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in6 from = socket_address(ep.source, ep.source_port, ep.ifindex);
  if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0)
    return os_error("bind [" + ep.source.to_string() + "]:" + std::to_string(ep.source_port), errno);
  if (auto connected = connect_to(socket, ep, deadline, abort_fd); !connected) return connected.error();
  if (auto sent = send_all(socket, request, deadline, abort_fd); !sent) return sent.error();
  return receive_message(socket, deadline, abort_fd);
}

}  // namespace leasehold::client
