#include "load_generator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "peers.h"

namespace leasehold::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kRequest = "request_ip=1\n\n";
constexpr std::size_t kMaxResponseBytes = 4096;
constexpr int kMaxEvents = 256;

sockaddr_in to_sockaddr(std::uint32_t address, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(address);
  a.sin_port = htons(port);
  return a;
}

// A TCP socket bound to `source` with the port left for connect() to choose, so that each
// source address has its own ephemeral port range.
int open_client_socket(std::uint32_t source, bool nonblocking, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  sockaddr_in local = to_sockaddr(source, 0);
  if (::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0) {
    error = std::string("setsockopt IP_BIND_ADDRESS_NO_PORT: ") + std::strerror(errno);
  } else if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    error = "bind " + ipv4_text(source) + ": " + std::strerror(errno);
  } else {
    return fd;
  }
  ::close(fd);
  return -1;
}

bool has_frame_end(const std::string& buffer) { return buffer.find("\n\n") != std::string::npos; }

}  // namespace

std::optional<std::uint64_t> PeerCursor::next() {
  if (count_ == 0 || (!wrap_ && issued_ >= count_)) return std::nullopt;
  return first_ + issued_++ % count_;
}

struct LoadGenerator::Slot {
  enum class State { idle, connecting, reading };
  State state = State::idle;
  int fd = -1;
  bool registered = false;  // fd is in the epoll set
  Clock::time_point started;
  std::string response;
};

LoadGenerator::LoadGenerator(Endpoint server, int connections, const std::atomic<bool>& stop)
    : server_(server), stop_(stop), slots_(static_cast<std::size_t>(connections)) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
}

LoadGenerator::~LoadGenerator() {
  for (Slot& slot : slots_)
    if (slot.fd >= 0) ::close(slot.fd);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

Result<WindowStats> LoadGenerator::run_for(std::chrono::nanoseconds duration, PeerCursor& peers) {
  if (epoll_fd_ < 0) return make_error(Errc::io, std::string("epoll_create1: ") + std::strerror(errno));
  WindowStats stats;
  const auto start = Clock::now();
  const auto end = start + duration;
  epoll_event events[kMaxEvents];
  for (;;) {
    auto now = Clock::now();
    if (now >= end || stop_.load(std::memory_order_relaxed)) break;
    bool busy = false;
    for (Slot& slot : slots_) {
      if (slot.state == Slot::State::idle && !stats.peers_exhausted) start_next(slot, peers, stats);
      busy = busy || slot.state != Slot::State::idle;
    }
    if (!busy && stats.peers_exhausted) break;  // nothing left to send or wait for

    auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count() + 1;
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(std::min<long>(left_ms, 50)));
    if (n < 0 && errno != EINTR)
      return make_error(Errc::io, std::string("epoll_wait: ") + std::strerror(errno));
    for (int i = 0; i < n; ++i) on_event(slots_[events[i].data.u32], events[i].events, stats);
    expire_stale(stats);
  }
  stats.elapsed = Clock::now() - start;
  return stats;
}

void LoadGenerator::drain(std::chrono::nanoseconds limit) {
  WindowStats discarded;
  const auto end = Clock::now() + limit;
  epoll_event events[kMaxEvents];
  for (;;) {
    bool busy = false;
    for (const Slot& slot : slots_) busy = busy || slot.state != Slot::State::idle;
    if (!busy || Clock::now() >= end) break;
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, 10);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) on_event(slots_[events[i].data.u32], events[i].events, discarded);
  }
  for (Slot& slot : slots_)
    if (slot.state != Slot::State::idle) finish(slot, false, "drained", discarded);
}

void LoadGenerator::start_next(Slot& slot, PeerCursor& peers, WindowStats& stats) {
  std::optional<std::uint64_t> peer = peers.next();
  if (!peer) {
    stats.peers_exhausted = true;
    return;
  }
  std::string error;
  slot.state = Slot::State::connecting;
  slot.started = Clock::now();
  slot.response.clear();
  slot.fd = open_client_socket(peer_source(*peer), true, error);
  if (slot.fd < 0) return finish(slot, false, error.c_str(), stats);

  sockaddr_in remote = to_sockaddr(server_.address, server_.port);
  if (::connect(slot.fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) == 0)
    return on_event(slot, EPOLLOUT, stats);  // connected at once: send now
  if (errno != EINPROGRESS)
    return finish(slot, false, (std::string("connect: ") + std::strerror(errno)).c_str(), stats);
  if (!watch(slot, EPOLLOUT))
    finish(slot, false, (std::string("epoll_ctl: ") + std::strerror(errno)).c_str(), stats);
}

bool LoadGenerator::watch(Slot& slot, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u32 = static_cast<std::uint32_t>(&slot - slots_.data());
  if (::epoll_ctl(epoll_fd_, slot.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, slot.fd, &ev) != 0)
    return false;
  slot.registered = true;
  return true;
}

void LoadGenerator::on_event(Slot& slot, std::uint32_t events, WindowStats& stats) {
  if (slot.state == Slot::State::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return finish(slot, false, (std::string("connect: ") + std::strerror(err)).c_str(), stats);
    // 14 bytes into an empty send buffer: anything short of all of them is a failure.
    ssize_t sent = ::send(slot.fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(kRequest.size()))
      return finish(slot, false, sent < 0 ? (std::string("send: ") + std::strerror(errno)).c_str() : "short send", stats);
    slot.state = Slot::State::reading;
    if (!watch(slot, EPOLLIN))
      return finish(slot, false, (std::string("epoll_ctl: ") + std::strerror(errno)).c_str(), stats);
    return;
  }
  if (slot.state != Slot::State::reading || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  char buf[1024];
  for (;;) {
    ssize_t n = ::recv(slot.fd, buf, sizeof buf, 0);
    if (n > 0) {
      slot.response.append(buf, static_cast<std::size_t>(n));
      if (has_frame_end(slot.response)) {
        bool ok = response_ok(slot.response);
        return finish(slot, ok, "response without errno=0", stats);
      }
      if (slot.response.size() > kMaxResponseBytes) return finish(slot, false, "response too long", stats);
      continue;
    }
    if (n == 0) return finish(slot, false, "connection closed before a full response", stats);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return finish(slot, false, (std::string("recv: ") + std::strerror(errno)).c_str(), stats);
  }
}

void LoadGenerator::finish(Slot& slot, bool ok, const char* error, WindowStats& stats) {
  if (ok) {
    ++stats.ok;
    stats.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     Clock::now() - slot.started).count());
  } else {
    ++stats.errors;
    if (stats.first_error.empty()) {
      stats.first_error = error;
      if (!slot.response.empty())
        stats.first_error += " (response: \"" + printable(slot.response, 120) + "\")";
    }
  }
  if (slot.fd >= 0) ::close(slot.fd);  // also leaves the epoll set
  slot.fd = -1;
  slot.registered = false;
  slot.state = Slot::State::idle;
}

void LoadGenerator::expire_stale(WindowStats& stats) {
  const auto limit = Clock::now() - kRequestTimeout;
  for (Slot& slot : slots_)
    if (slot.state != Slot::State::idle && slot.started < limit)
      finish(slot, false, "no response within the request timeout", stats);
}

bool response_ok(const std::string& response) {
  return response.rfind("errno=0\n", 0) == 0 || response.find("\nerrno=0\n") != std::string::npos;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    if (c == '\n') out += "\\n";
    else if (c >= 0x20 && c < 0x7f) out += c;
    else out += '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

Result<std::string> request_once(Endpoint server, std::uint32_t source,
                                 std::chrono::milliseconds timeout) {
  std::string error;
  int fd = open_client_socket(source, false, error);
  if (fd < 0) return make_error(Errc::io, error);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()

  Result<std::string> result = make_error(Errc::io, "");
  sockaddr_in remote = to_sockaddr(server.address, server.port);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
    result = make_error(Errc::unavailable, std::string("connect: ") + std::strerror(errno));
  } else if (::send(fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) !=
             static_cast<ssize_t>(kRequest.size())) {
    result = make_error(Errc::io, std::string("send: ") + std::strerror(errno));
  } else {
    char buf[1024];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        result = make_error(Errc::io, n == 0 ? std::string("connection closed before a full response")
                                             : std::string("recv: ") + std::strerror(errno));
        break;
      }
      response.append(buf, static_cast<std::size_t>(n));
      if (has_frame_end(response)) {
        result = response;
        break;
      }
      if (response.size() > kMaxResponseBytes) {
        result = make_error(Errc::corruption, "response too long");
        break;
      }
    }
  }
  ::close(fd);
  return result;
}

}  // namespace leasehold::bench
