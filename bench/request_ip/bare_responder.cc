// bare_responder: the smallest request_ip server, the loopback TCP limit that
// bench_request_ip measures leasehold against. Same connection semantics as the real
// server (answers every request that ends in an empty line, keeps reading, closes on
// EOF) but no leases, no parsing, no store. One thread, one level-triggered epoll loop.
//
// Usage: bare_responder [PORT]   (0 or absent: any free port)
// Prints "port N" on stdout once listening; runs until killed.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kResponse =
    "request_ip=1\nipv4=10.1.2.3/32\nipv6=fd00:47::abcd/128\nleasestart=1700000000\n"
    "leasetime=3600\nerrno=0\n\n";
constexpr std::size_t kMaxPendingBytes = 4096;  // an unfinished request larger than this is dropped
constexpr int kBacklog = 4096;
constexpr int kMaxEvents = 256;

struct Connection {
  bool open = false;
  std::string in;   // bytes after the last complete request
  std::string out;  // response bytes the socket has not taken yet
};

int fail(const char* what) {
  std::fprintf(stderr, "bare_responder: %s: %s\n", what, std::strerror(errno));
  return 1;
}

class Responder {
 public:
  explicit Responder(int epoll_fd) : epoll_fd_(epoll_fd) {}

  void accept_all(int listen_fd) {
    for (;;) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
          fail("accept");
        return;
      }
      if (static_cast<std::size_t>(fd) >= connections_.size()) connections_.resize(fd + 1024);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        fail("epoll_ctl add");
        ::close(fd);
        continue;
      }
      connections_[fd].open = true;
    }
  }

  void handle(int fd, std::uint32_t events) {
    Connection& c = connections_[fd];
    if (!c.open) return;
    bool eof = false;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      char buf[4096];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
          c.in.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n == 0) eof = true;
        else if (errno == EINTR) continue;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) return close(fd);
        break;
      }
      std::size_t end;
      while ((end = c.in.find("\n\n")) != std::string::npos) {
        c.in.erase(0, end + 2);
        c.out.append(kResponse);
      }
      if (c.in.size() > kMaxPendingBytes) return close(fd);
    }
    if (!flush(fd, c)) return close(fd);
    if (eof) return close(fd);
  }

 private:
  // Writes what the socket takes; waits for EPOLLOUT only while something is left.
  bool flush(int fd, Connection& c) {
    bool had_pending = !c.out.empty();
    while (!c.out.empty()) {
      ssize_t n = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return false;
    }
    if (!had_pending) return true;
    epoll_event ev{};
    ev.events = c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT);
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
  }

  void close(int fd) {
    connections_[fd] = Connection{};
    ::close(fd);  // also removes it from the epoll set
  }

  int epoll_fd_;
  std::vector<Connection> connections_;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  if (argc > 2) {
    std::fprintf(stderr, "usage: bare_responder [PORT]\n");
    return 2;
  }
  if (argc == 2) {
    std::string_view text = argv[1];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size()) {
      std::fprintf(stderr, "bare_responder: port is not 0-65535: \"%.16s\"\n", argv[1]);
      return 2;
    }
  }

  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) fail("setrlimit NOFILE");
  }

  int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return fail("socket");
  int one = 1;
  if (::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    return fail("setsockopt SO_REUSEADDR");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (::listen(listen_fd, kBacklog) != 0) return fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail("getsockname");

  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return fail("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) != 0) return fail("epoll_ctl listen");

  std::printf("port %u\n", static_cast<unsigned>(ntohs(addr.sin_port)));
  std::fflush(stdout);

  Responder responder(epoll_fd);
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = ::epoll_wait(epoll_fd, events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == listen_fd) responder.accept_all(listen_fd);
      else responder.handle(events[i].data.fd, events[i].events);
    }
  }
}
