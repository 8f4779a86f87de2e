#include "wireguard/uapi_device.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wireguard/uapi.h"

namespace leasehold::wireguard {

namespace {

// A reply bigger than this is refused: ~2 KB per peer leaves room for 100k+ peers.
constexpr std::size_t kMaxReply = 512u << 20;
// wireguard-go and older boringtun reject "allowed_ip=-<prefix>" with this errno.
constexpr int kEinval = -22;

Error io_error(const std::string& what) { return make_error(Errc::io, what + ": " + std::strerror(errno)); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class UapiDevice final : public Device {
 public:
  UapiDevice(std::string ifname, std::string path, std::chrono::milliseconds timeout)
      : name_(std::move(ifname)), path_(std::move(path)), timeout_(timeout) {}

  const std::string& name() const override { return name_; }
  std::string_view backend() const override { return "uapi"; }

  Result<DeviceInfo> get() override {
    auto reply = exchange(get_request());
    if (!reply) return reply.error();
    return parse_get_response(*reply);
  }

  Status update(std::span<const AllowedIpsUpdate> updates) override {
    if (updates.empty()) return {};
    if (single_removal_ || !has_removals(updates)) {
      auto errno_value = set(update_request(updates));
      if (!errno_value) return errno_value.error();
      if (*errno_value == 0) return {};
      if (*errno_value != kEinval || !has_removals(updates)) return device_error(*errno_value);
      // An implementation without "allowed_ip=-": the request stopped at the first
      // removal, before any change. Use replace_allowed_ips from now on.
      single_removal_ = false;
    }
    auto current = get();
    if (!current) return current.error();
    auto errno_value = set(replace_update_request(updates, *current));
    if (!errno_value) return errno_value.error();
    if (*errno_value != 0) return device_error(*errno_value);
    return {};
  }

 private:
  Error device_error(int value) const {
    return make_error(Errc::io, name_ + ": set refused with errno " + std::to_string(value));
  }

  Result<int> set(const std::string& request) {
    auto reply = exchange(request);
    if (!reply) return reply.error();
    return parse_set_response(*reply);
  }

  // Sends one request and reads the reply up to its final empty line.
  Result<std::string> exchange(const std::string& request) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return io_error("socket");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path) return make_error(Errc::invalid_argument, "socket path too long: " + path_);
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return make_error(errno == ENOENT || errno == ECONNREFUSED ? Errc::unavailable : Errc::io,
                        path_ + ": " + std::strerror(errno));
    for (std::size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return io_error(path_ + ": send");
      sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[65536];
    while (!complete(reply)) {
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error(path_ + ": receive");
      if (n == 0) return make_error(Errc::io, path_ + ": connection closed before the reply ended");
      reply.append(buf, static_cast<std::size_t>(n));
      if (reply.size() > kMaxReply) return make_error(Errc::io, path_ + ": reply too large");
    }
    return reply;
  }

  // A reply ends with "errno=N\n\n"; no line before it is empty.
  static bool complete(const std::string& reply) {
    return reply.size() >= 2 && reply.compare(reply.size() - 2, 2, "\n\n") == 0;
  }

  std::string name_;
  std::string path_;
  std::chrono::milliseconds timeout_;
  bool single_removal_ = true;
};

}  // namespace

std::unique_ptr<Device> make_uapi_device(const std::string& ifname, const std::string& socket_path,
                                         std::chrono::milliseconds timeout) {
  return std::make_unique<UapiDevice>(ifname, socket_path, timeout);
}

}  // namespace leasehold::wireguard
