#include "client/client.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

#include "client/clock.h"
#include "client/exchange.h"
#include "client/hook_runner.h"
#include "client/state_file.h"
#include "netif/netif.h"
#include "wgdyn/client_codec.h"

namespace leasehold::client {
namespace {

// Leased addresses get a kernel lifetime a little past the lease's end: should the client die,
// the kernel still removes them, and while it lives its own removal comes first.
constexpr std::int64_t kKernelLifetimeSlackSeconds = 5;

// One line of a request for the debug log.
std::string one_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

class ClientLoop {
 public:
  ClientLoop(const ClientOptions& options, int signal_fd)
      : options_(options),
        random_(lease::SeededRandom::from_os()),
        keeper_(KeeperConfig{options.want_ipv4, options.want_ipv6, options.leasetime_hint}, clock_, random_),
        hooks_(options.hook, clock_),
        state_path_(state_file_path(options.state_dir, options.ifname)),
        server_text_("[" + options.server.to_string() + "%" + options.ifname + "]:" + std::to_string(options.port)),
        signal_fd_(signal_fd) {}

  int run() {
    start();
    while (!stop_requested_) {
      apply(keeper_.on_timer());
      hooks_.service();
      const std::int64_t now = clock_.mono_ms();
      if (now >= keeper_.next_request_mono_ms()) {
        attempt();
      } else if (now >= next_check_ms_) {
        check_interface();
      } else {
        wait_until(std::min({keeper_.next_deadline_mono_ms(), next_check_ms_,
                             hooks_.next_wakeup_mono_ms().value_or(next_check_ms_)}));
      }
    }
    shutdown();
    return 0;
  }

 private:
  void start() {
    std::optional<StoredLease> stored;
    if (auto loaded = load_state(state_path_, options_.ifname); loaded) {
      stored = *loaded;
    } else {
      spdlog::warn("ignoring state file: {}", loaded.error().message);
    }
    std::vector<net::Prefix> globals;
    if (auto addresses = netif::list_addresses(options_.ifname); addresses) {
      for (const auto& a : *addresses)
        if (a.scope == netif::AddressScope::global) globals.emplace_back(a.address, a.prefix_len);
    } else {
      spdlog::warn("interface {}: {}", options_.ifname, addresses.error().message);
      interface_ok_ = false;  // said once
    }
    spdlog::info("leasehold-client on {}: link-local {}, server {}, state {}", options_.ifname,
                 options_.link_local.to_string(), server_text_, state_path_);
    Actions actions = keeper_.start(stored, globals);
    if (const auto& lease = keeper_.lease(); lease && lease->granted)
      spdlog::info("stored lease: {}, {} s left", lease->addresses.describe(),
                   (lease->expires_mono_ms - clock_.mono_ms()) / 1000);
    else if (lease)
      spdlog::info("interface addresses taken as a lease for 15 s: {}", lease->addresses.describe());
    apply(actions);
    check_interface();
  }

  // Makes sure the link-local address and the lease's addresses are on the interface; they
  // vanish when the link goes down or the interface is re-created.
  bool check_interface() {
    next_check_ms_ = clock_.mono_ms() + options_.check_interval.count();
    auto addresses = netif::list_addresses(options_.ifname);
    if (!addresses) {
      if (interface_ok_) spdlog::warn("interface {}: {}", options_.ifname, addresses.error().message);
      interface_ok_ = false;
      return false;
    }
    if (!interface_ok_) spdlog::info("interface {} is back", options_.ifname);
    interface_ok_ = true;
    auto present = [&](const net::Address& wanted) {
      return std::any_of(addresses->begin(), addresses->end(), [&](const auto& a) { return a.address == wanted; });
    };
    if (!present(options_.link_local)) {
      // /64, so that fe80::/64, and the server, are reachable through this interface.
      if (auto added = netif::add_address(options_.ifname, options_.link_local, 64); !added) {
        spdlog::warn("cannot add link-local address: {}", added.error().message);
        return false;
      }
      added_link_local_ = true;
      spdlog::info("added link-local {}/64 to {}", options_.link_local.to_string(), options_.ifname);
    }
    // Only the server's: addresses merely assumed at start are not put back.
    if (const auto& lease = keeper_.lease(); lease && lease->granted) {
      for (const net::Address& a : lease->addresses.list())
        if (!present(a) && add_leased(a)) spdlog::info("re-added {} to {}", a.to_string(), options_.ifname);
    }
    return true;
  }

  void attempt() {
    auto ifindex = netif::interface_index(options_.ifname);
    if (!ifindex) return apply(keeper_.on_failure("interface " + options_.ifname + ": " + ifindex.error().message));
    if (!check_interface()) return apply(keeper_.on_failure("interface " + options_.ifname + " not ready"));
    const Endpoints endpoints{*ifindex, options_.link_local, options_.source_port, options_.server, options_.port};
    const std::string request = wgdyn::format_request(keeper_.request());
    spdlog::debug("request to {}: {}", server_text_, one_line(request));
    auto reply = exchange(endpoints, request, options_.exchange_timeout, signal_fd_);
    if (!reply && reply.error().code == Errc::unavailable) return read_signal();  // SIGTERM or SIGINT
    if (!reply) return apply(keeper_.on_failure("request to " + server_text_ + " failed: " + reply.error().message));
    spdlog::debug("response: {}", one_line(*reply));
    auto response = wgdyn::parse_response(*reply);
    if (!response) return apply(keeper_.on_failure("bad response from " + server_text_ + ": " + response.error().message));
    apply(keeper_.on_response(*response));
  }

  bool add_leased(const net::Address& address) {
    const auto& lease = keeper_.lease();
    const std::int64_t left_ms = lease ? lease->expires_mono_ms - clock_.mono_ms() : 0;
    if (left_ms <= 0) return false;
    netif::AddOptions add;
    add.valid_lifetime_seconds =
        static_cast<std::uint32_t>(std::min<std::int64_t>((left_ms + 999) / 1000 + kKernelLifetimeSlackSeconds,
                                                          0xfffffffe));
    auto status = netif::add_address(options_.ifname, address, host_length(address), add);
    if (!status) spdlog::warn("cannot add {}: {}", address.to_string(), status.error().message);
    return status.ok();
  }

  void apply(const Actions& actions) {
    for (const net::Address& a : actions.add) add_leased(a);
    for (const net::Address& a : actions.remove)
      if (auto status = netif::remove_address(options_.ifname, a, host_length(a)); !status)
        spdlog::warn("cannot remove {}: {}", a.to_string(), status.error().message);
    if (actions.event) {
      log_event(*actions.event);
      hooks_.run(hook_environment(options_.ifname, *actions.event));
    }
    if (actions.save)
      if (auto saved = save_state(state_path_, options_.ifname, keeper_.stored()); !saved)
        spdlog::warn("cannot write state file: {}", saved.error().message);
    if (!actions.problem.empty()) {
      const std::int64_t wait_ms = std::max<std::int64_t>(0, keeper_.next_request_mono_ms() - clock_.mono_ms());
      spdlog::warn("{}; next attempt in {:.1f} s", actions.problem, static_cast<double>(wait_ms) / 1000);
    }
  }

  static void log_event(const Event& e) {
    const std::string lt = e.leasetime_seconds ? std::to_string(*e.leasetime_seconds) : "-";
    switch (e.reason) {
      case Reason::changed:
        spdlog::info("lease changed: was {}", e.old_addresses.describe());
        [[fallthrough]];
      case Reason::bound: spdlog::info("lease bound: {} leasetime {}", e.addresses.describe(), lt); break;
      case Reason::renewed: spdlog::info("lease renewed: {} leasetime {}", e.addresses.describe(), lt); break;
      case Reason::expired: spdlog::info("lease ended: {}", e.old_addresses.describe()); break;
      case Reason::released: spdlog::info("lease released: {}", e.old_addresses.describe()); break;
      case Reason::stopped:
        if (e.addresses.empty())
          spdlog::info("stopping; no lease held");
        else
          spdlog::info("stopping; lease kept: {}", e.addresses.describe());
        break;
    }
  }

  void wait_until(std::int64_t deadline_ms) {
    const std::int64_t wait_ms = std::clamp<std::int64_t>(deadline_ms - clock_.mono_ms(), 0, 60'000);
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {hooks_.fd(), POLLIN, 0}};
    const int n = ::poll(fds, hooks_.fd() >= 0 ? 2 : 1, static_cast<int>(wait_ms));
    if (n > 0 && (fds[0].revents & POLLIN)) read_signal();
  }

  void read_signal() {
    signalfd_siginfo info{};
    if (::read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return;
    spdlog::info("received {}, stopping", strsignal(static_cast<int>(info.ssi_signo)));
    stop_requested_ = true;
  }

  void shutdown() {
    const auto& lease = keeper_.lease();
    if (options_.on_stop == StopMode::release && lease && lease->granted) send_release();
    apply(keeper_.stop(options_.on_stop));
    if (options_.on_stop == StopMode::release && added_link_local_)
      (void)netif::remove_address(options_.ifname, options_.link_local, 64);
    hooks_.drain();
    spdlog::info("leasehold-client stopped");
  }

  void send_release() {
    auto ifindex = netif::interface_index(options_.ifname);
    if (!ifindex) return;
    const Endpoints endpoints{*ifindex, options_.link_local, options_.source_port, options_.server, options_.port};
    auto reply = exchange(endpoints, wgdyn::format_release_request(), options_.release_timeout, -1);
    if (reply)
      spdlog::info("release sent to {}", server_text_);
    else
      spdlog::warn("release to {} failed: {}", server_text_, reply.error().message);
  }

  const ClientOptions& options_;
  SystemClock clock_;
  lease::SeededRandom random_;
  LeaseKeeper keeper_;
  HookRunner hooks_;
  std::string state_path_;
  std::string server_text_;
  int signal_fd_;
  std::int64_t next_check_ms_ = 0;
  bool interface_ok_ = true;
  bool added_link_local_ = false;
  bool stop_requested_ = false;
};

// Blocks SIGTERM and SIGINT and returns a signalfd for them.
int open_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
  return ::signalfd(-1, &set, SFD_CLOEXEC);
}

}  // namespace

int run_client(const ClientOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);
  const int signal_fd = open_signal_fd();
  if (signal_fd < 0) {
    spdlog::error("signalfd: {}", std::strerror(errno));
    return 1;
  }
  int code = ClientLoop(options, signal_fd).run();
  ::close(signal_fd);
  return code;
}

}  // namespace leasehold::client
