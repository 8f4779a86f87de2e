// NetlinkDevice: Device over the kernel's generic netlink family, with libmnl sockets.
#include "wireguard/netlink_device.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "wireguard/netlink_codec.h"

namespace leasehold::wireguard {

namespace {

// A dump that the device's own changes interrupt (NLM_F_DUMP_INTR) is asked again.
constexpr int kDumpAttempts = 5;

struct SocketCloser {
  void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

Error os_error(const std::string& what, int errnum) {
  return make_error(Errc::io, what + ": " + std::generic_category().message(errnum));
}

Error with_context(const std::string& context, const Error& error) {
  return make_error(error.code, context + ": " + error.message);
}

// One NETLINK_GENERIC socket and its request numbering. After a failed exchange the socket
// is dropped and reopened by the next one, so an unread rest of a reply (a dump the kernel
// still holds open would make the next dump fail with EBUSY) never meets a later request.
class Channel {
 public:
  explicit Channel(std::chrono::milliseconds timeout)
      : timeout_(timeout), seq_(static_cast<std::uint32_t>(std::time(nullptr))),
        buffer_(netlink::kReceiveBufferSize) {}

  std::uint32_t next_seq() { return ++seq_; }
  void skip_seqs(std::size_t count) { seq_ += static_cast<std::uint32_t>(count); }

  // Sends `request`, then feeds each reply datagram to `consume` (returning
  // Result<netlink::Progress>) until it reports done.
  template <class Consume>
  Status exchange(const netlink::Message& request, Consume&& consume) {
    Status status = exchange_once(request, consume);
    if (!status) socket_.reset();
    return status;
  }

  // Dump replies carry the device's private key: no copy outlives the call.
  void wipe() { explicit_bzero(buffer_.data(), buffer_.size()); }

 private:
  Status open() {
    Socket socket(mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC));
    if (!socket) return os_error("netlink socket", errno);
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) return os_error("netlink bind", errno);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    if (::setsockopt(mnl_socket_get_fd(socket.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
      return os_error("netlink receive timeout", errno);
    socket_ = std::move(socket);
    return {};
  }

  template <class Consume>
  Status exchange_once(const netlink::Message& request, Consume& consume) {
    if (!socket_)
      if (Status opened = open(); !opened) return opened;
    const ssize_t sent = mnl_socket_sendto(socket_.get(), request.data(), request.size());
    if (sent < 0) return os_error("netlink send", errno);
    if (static_cast<std::size_t>(sent) != request.size()) return make_error(Errc::io, "netlink send: short write");
    for (;;) {
      auto datagram = receive();
      if (!datagram) return datagram.error();
      auto progress = consume(*datagram);
      if (!progress) return progress.error();
      if (*progress == netlink::Progress::done) return {};
    }
  }

  Result<std::span<const std::byte>> receive() {
    for (;;) {
      const ssize_t n = mnl_socket_recvfrom(socket_.get(), buffer_.data(), buffer_.size());
      if (n >= 0) return std::span<const std::byte>(buffer_.data(), static_cast<std::size_t>(n));
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return make_error(Errc::io, "netlink receive: timed out");
      return os_error("netlink receive", errno);  // ENOSPC: the datagram did not fit
    }
  }

  std::chrono::milliseconds timeout_;
  Socket socket_;
  std::uint32_t seq_;
  std::vector<std::byte> buffer_;
};

Result<netlink::Family> resolve_family(Channel& channel) {
  const std::uint32_t seq = channel.next_seq();
  std::optional<netlink::Family> family;
  Status status = channel.exchange(netlink::encode_get_family(seq), [&](std::span<const std::byte> datagram) {
    auto decoded = netlink::decode_get_family(datagram, seq);
    if (!decoded) return Result<netlink::Progress>(decoded.error());
    family = *decoded;
    return Result<netlink::Progress>(family ? netlink::Progress::done : netlink::Progress::more);
  });
  if (!status) {
    if (status.error().code == Errc::not_found) return status.error();
    return with_context("netlink family lookup", status.error());
  }
  return *family;
}

// Decided by release, not by trying: a kernel before 6.16 refuses the unknown attribute with
// EINVAL only after applying the peers ahead of it in the same message, so a probe that
// fails is not free of side effects.
bool running_kernel_supports_remove_flag() {
  utsname name{};
  return ::uname(&name) == 0 && netlink::kernel_supports_remove_flag(name.release);
}

class NetlinkDevice final : public Device {
 public:
  NetlinkDevice(std::string ifname, Channel channel, netlink::Family family, netlink::RemovalMode mode)
      : name_(std::move(ifname)), channel_(std::move(channel)), family_(family), mode_(mode) {}

  const std::string& name() const override { return name_; }
  std::string_view backend() const override { return "netlink"; }

  Result<DeviceInfo> get() override {
    for (int attempt = 1;; ++attempt) {
      auto info = dump();
      channel_.wipe();
      if (info || info.error().code != Errc::unavailable || attempt == kDumpAttempts) return info;
    }
  }

  // Removals before additions (plan_changes orders them). Each message is applied by the
  // kernel on its own, so a failure part-way leaves the earlier messages applied; the
  // caller's reconcile repairs that.
  Status update(std::span<const AllowedIpsUpdate> updates) override {
    std::optional<DeviceInfo> current;
    if (mode_ == netlink::RemovalMode::replace_list && has_removals(updates)) {
      auto read = get();
      if (!read) return read.error();
      current = std::move(*read);
    }
    const auto changes = netlink::plan_changes(updates, mode_, current ? &*current : nullptr);
    if (changes.empty()) return {};
    const std::uint32_t first_seq = channel_.next_seq();
    const auto messages = netlink::encode_set_device(family_, first_seq, name_, changes);
    if (!messages.empty()) channel_.skip_seqs(messages.size() - 1);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const auto seq = static_cast<std::uint32_t>(first_seq + i);
      Status acked = channel_.exchange(messages[i], [seq](std::span<const std::byte> datagram) {
        return netlink::decode_ack(datagram, seq);
      });
      if (!acked) return with_context(context("set_device"), acked.error());
    }
    return {};
  }

 private:
  Result<DeviceInfo> dump() {
    const std::uint32_t seq = channel_.next_seq();
    netlink::DumpDecoder decoder(family_.id, seq);
    Status status = channel_.exchange(netlink::encode_get_device(family_, seq, name_),
                                      [&](std::span<const std::byte> datagram) { return decoder.feed(datagram); });
    if (!status) return with_context(context("get_device"), status.error());
    auto info = decoder.finish();
    if (!info) return with_context(context("get_device"), info.error());
    return info;
  }

  std::string context(const char* command) const { return name_ + ": netlink " + command; }

  std::string name_;
  Channel channel_;
  netlink::Family family_;
  netlink::RemovalMode mode_;
};

}  // namespace

Result<std::unique_ptr<Device>> make_netlink_device(const std::string& ifname, std::chrono::milliseconds timeout) {
  if (!valid_interface_name(ifname))
    return make_error(Errc::invalid_argument, "bad interface name \"" + ifname.substr(0, 32) + "\"");
  Channel channel(timeout);
  auto family = resolve_family(channel);
  if (!family) return family.error();
  const auto mode = running_kernel_supports_remove_flag() ? netlink::RemovalMode::remove_flag
                                                          : netlink::RemovalMode::replace_list;
  return std::unique_ptr<Device>(std::make_unique<NetlinkDevice>(ifname, std::move(channel), *family, mode));
}

}  // namespace leasehold::wireguard
