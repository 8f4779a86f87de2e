// A leasequery requestor's TCP connection for tests: connects to a loopback port (IPv4 or
// IPv6), sends frames, and reads whole message bodies (2-octet framing) with a timeout.
// The codecs (dhcp6_wire, dhcp4_wire) turn the bodies into messages.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include "leasequery/tcp_frame.h"

namespace leasehold::testing {

class FramedClient {
 public:
  enum class Family { v4, v6 };
  FramedClient(Family family, std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(family == Family::v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    int rc = -1;
    if (family == Family::v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FramedClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  FramedClient(const FramedClient&) = delete;
  FramedClient& operator=(const FramedClient&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool send_frame(const leasequery::Bytes& frame) {
    return ::write(fd_, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size());
  }
  // The next body; nullopt on timeout, close (closed() tells) or broken framing.
  std::optional<leasequery::Bytes> next_body(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto body = frames_.next();
      if (!body.ok()) return std::nullopt;
      if (body->has_value()) return std::move(**body);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      std::uint8_t buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) {
        closed_ = true;
        return std::nullopt;
      }
      frames_.feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
    }
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  leasequery::FrameReader frames_;
  bool closed_ = false;
};

// The port a listener bound (configured as 0: any free port), read from the server's log
// line "<what> ... :<port>" (its last ':').
inline std::uint16_t port_in_log(const std::string& log, const std::string& what) {
  auto at = log.find(what);
  if (at == std::string::npos) return 0;
  auto end = log.find('\n', at);
  auto line = log.substr(at, end - at);
  auto colon = line.rfind(':');
  return colon == std::string::npos ? 0 : static_cast<std::uint16_t>(std::atoi(line.c_str() + colon + 1));
}

}  // namespace leasehold::testing
