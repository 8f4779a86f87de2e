// The real leasehold-client binary against a stand-in request_ip server, in a network
// namespace of its own (root only): the interface's addresses, the requests on the wire, the
// state file, the hook, restarts, a dead server, a lost link.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "client/state_file.h"
#include "netif/netif.h"
#include "netns.h"
#include "temp_dir.h"
#include "wgdyn/frame.h"

namespace leasehold::client {
namespace {

using namespace std::chrono_literals;
using leasehold::testing::ScopedNetns;
using leasehold::testing::shell_ok;

constexpr const char* kIf = "lh0";
constexpr const char* kLinkLocal = "fe80::1234";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

// The global addresses on the test interface, as "a/len", sorted.
std::vector<std::string> global_addresses() {
  std::vector<std::string> out;
  if (auto list = netif::list_addresses(kIf))
    for (const auto& a : *list)
      if (a.scope == netif::AddressScope::global) out.push_back(a.address.to_string() + "/" + std::to_string(a.prefix_len));
  std::sort(out.begin(), out.end());
  return out;
}

bool has_address(const std::string& text) {
  auto list = netif::list_addresses(kIf);
  if (!list) return false;
  return std::any_of(list->begin(), list->end(), [&](const auto& a) { return a.address.to_string() == text; });
}

// A request_ip server on [fe80::%lh0]:970 that answers what the test tells it to.
class StandInServer {
 public:
  using Answer = std::function<std::string(const std::string& request)>;

  explicit StandInServer(Answer answer) : answer_(std::move(answer)) { listen(); }
  ~StandInServer() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) ::close(listener_);
  }

  void set_answer(Answer answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<std::uint16_t> source_ports() {
    std::lock_guard lock(mutex_);
    return ports_;
  }
  // Connection refused from now on, until resume().
  void go_down() {
    done_ = true;
    thread_.join();
    ::close(listener_);
    listener_ = -1;
  }
  void resume() {
    done_ = false;
    listen();
  }

 private:
  void listen() {
    listener_ = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(970);
    inet_pton(AF_INET6, "fe80::", &sa.sin6_addr);
    sa.sin6_scope_id = if_nametoindex(kIf);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listener_, 8) != 0)
      ADD_FAILURE() << "stand-in server: " << std::strerror(errno);
    thread_ = std::thread([this] { serve(); });
  }

  void serve() {
    while (!done_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      sockaddr_in6 peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept(listener_, reinterpret_cast<sockaddr*>(&peer), &len);
      if (fd < 0) continue;
      answer_one(fd, ntohs(peer.sin6_port));
      ::close(fd);
    }
  }

  void answer_one(int fd, std::uint16_t port) {
    std::string buffer;
    char chunk[1024];
    while (!wgdyn::find_message(buffer).is_complete()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    std::string reply;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(buffer);
      ports_.push_back(port);
      reply = answer_(buffer);
    }
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  std::mutex mutex_;
  Answer answer_;
  std::vector<std::string> requests_;
  std::vector<std::uint16_t> ports_;
  int listener_ = -1;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

std::string grant(const std::string& v4, const std::string& v6, int leasetime, std::int64_t skew_s = 0) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + skew_s;
  std::string out = "request_ip=1\n";
  if (!v4.empty()) out += "ipv4=" + v4 + "\n";
  if (!v6.empty()) out += "ipv6=" + v6 + "\n";
  return out + "leasestart=" + std::to_string(now) + "\nleasetime=" + std::to_string(leasetime) + "\nerrno=0\n\n";
}

// leasehold-client run as a child process with its output in a log file.
class ClientProcess {
 public:
  ClientProcess(std::string log, std::vector<std::string> args) : log_(std::move(log)), args_(std::move(args)) {}
  ~ClientProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void start() {
    std::vector<std::string> argv = {LEASEHOLD_CLIENT_PATH};
    argv.insert(argv.end(), args_.begin(), args_.end());
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
    ASSERT_EQ(posix_spawn(&pid_, raw[0], &files, nullptr, raw.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
  }

  // SIGTERM, then the exit code (-1 if it had to be killed after 10 s).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const bool exited = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 10s);
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string log() const { return read_file(log_); }
  // Waits for `text` in the log after `from` bytes; returns the position after it.
  std::optional<std::size_t> wait_for(const std::string& text, std::chrono::milliseconds timeout, std::size_t from = 0) {
    std::optional<std::size_t> at;
    eventually([&] {
      const std::string now = log();
      const std::size_t pos = now.find(text, std::min(from, now.size()));
      if (pos != std::string::npos) at = pos + text.size();
      return at.has_value();
    }, timeout);
    return at;
  }

 private:
  std::string log_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
};

class ClientProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = leasehold::testing::root_skip_reason(); !reason.empty()) GTEST_SKIP() << reason;
    netns_.emplace();
    ASSERT_TRUE(netns_->ok()) << "cannot enter network namespace " << netns_->name();
    ASSERT_TRUE(ScopedNetns::add_interface(kIf));
    // The server's address, as on a leasehold-server's WireGuard interface.
    ASSERT_TRUE(shell_ok(std::string("ip -6 addr add fe80::/64 dev ") + kIf + " nodad"));
    ASSERT_TRUE(shell_ok("echo '#!/bin/sh' > " + dir_.file("hook") + " && echo 'echo \"$LEASEHOLD_REASON "
                         "$LEASEHOLD_IPV4 $LEASEHOLD_IPV6 $LEASEHOLD_OLD_IPV4 $LEASEHOLD_LEASETIME\" >> " +
                         dir_.file("hook.out") + "' >> " + dir_.file("hook") + " && chmod +x " + dir_.file("hook")));
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    netns_.reset();
  }

  ClientProcess& start_client(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--interface", kIf,         "--link-local", kLinkLocal, "--state-dir",
                                     dir_.file("state"), "--hook", dir_.file("hook"), "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    client_ = std::make_unique<ClientProcess>(dir_.file("client.log"), args);
    client_->start();
    return *client_;
  }
  std::optional<StoredLease> state() { return *load_state(state_file_path(dir_.file("state"), kIf), kIf); }
  std::string hook_log() { return read_file(dir_.file("hook.out")); }

  leasehold::testing::TempDir dir_;
  std::optional<ScopedNetns> netns_;
  std::unique_ptr<StandInServer> server_;
  std::unique_ptr<ClientProcess> client_;
};

TEST_F(ClientProcessTest, BindsRenewsAndReleases) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.5/32", "fd66::5/128", 4); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("lease bound: ipv4 10.66.0.5 ipv6 fd66::5 leasetime 4", 10s)) << client.log();
  EXPECT_EQ(global_addresses(), (std::vector<std::string>{"10.66.0.5/32", "fd66::5/128"}));
  EXPECT_TRUE(has_address(kLinkLocal));
  EXPECT_EQ(server_->requests().front(), "request_ip=1\n\n");
  EXPECT_EQ(server_->source_ports().front(), 970);
  ASSERT_TRUE(client.wait_for("lease renewed: ipv4 10.66.0.5 ipv6 fd66::5 leasetime 4", 10s)) << client.log();
  EXPECT_EQ(server_->requests().at(1), "request_ip=1\nipv4=10.66.0.5/32\nipv6=fd66::5/128\n\n");
  ASSERT_TRUE(state());
  EXPECT_EQ(state()->addresses.ipv4->to_string(), "10.66.0.5");

  EXPECT_EQ(client.stop(), 0) << client.log();
  EXPECT_EQ(server_->requests().back(), "request_ip=1\nleasetime=0\n\n");  // the release
  EXPECT_TRUE(global_addresses().empty());
  EXPECT_FALSE(has_address(kLinkLocal));  // it added it, it takes it away
  EXPECT_FALSE(state());
  const std::string hooks = hook_log();
  EXPECT_EQ(hooks.substr(0, hooks.find('\n')), "bound 10.66.0.5 fd66::5  4") << hooks;
  EXPECT_NE(hooks.find("renewed 10.66.0.5 fd66::5 10.66.0.5 4"), std::string::npos) << hooks;
  EXPECT_NE(hooks.find("released   10.66.0.5 "), std::string::npos) << hooks;
}

TEST_F(ClientProcessTest, KeepOnStopThenRestartAsksForTheSameAddresses) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.7/32", "", 3600); });
  auto& client = start_client({"--on-stop", "keep", "--no-ipv6", "--leasetime", "3600"});
  ASSERT_TRUE(client.wait_for("lease bound: ipv4 10.66.0.7 ipv6 - leasetime 3600", 10s)) << client.log();
  EXPECT_EQ(server_->requests().front(), "request_ip=1\nip=0.0.0.0/32\nleasetime=3600\n\n");
  EXPECT_EQ(client.stop(), 0);
  EXPECT_EQ(global_addresses(), std::vector<std::string>{"10.66.0.7/32"});
  ASSERT_TRUE(state());
  EXPECT_NE(hook_log().find("stopped 10.66.0.7"), std::string::npos) << hook_log();

  const std::size_t mark = client.log().size();
  auto& again = start_client();
  ASSERT_TRUE(again.wait_for("lease bound: ipv4 10.66.0.7 ipv6 - leasetime 3600", 10s, mark)) << again.log();
  EXPECT_EQ(server_->requests().back(), "request_ip=1\nipv4=10.66.0.7/32\n\n");  // the stored lease as hint
}

TEST_F(ClientProcessTest, InterfaceAddressesAreHintedAndReplaced) {
  ASSERT_TRUE(shell_ok(std::string("ip addr add 10.66.0.99/32 dev ") + kIf));
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.8/32", "", 60); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("lease bound: ipv4 10.66.0.8", 10s)) << client.log();
  EXPECT_EQ(server_->requests().front(), "request_ip=1\nipv4=10.66.0.99/32\n\n");
  EXPECT_EQ(global_addresses(), std::vector<std::string>{"10.66.0.8/32"});  // the old one went
}

TEST_F(ClientProcessTest, DeadServerMeansBackoffThenExpiryThenRecovery) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.5/32", "fd66::5/128", 3); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("lease bound:", 10s)) << client.log();
  server_->go_down();
  ASSERT_TRUE(client.wait_for("Connection refused; next attempt in", 10s)) << client.log();
  ASSERT_TRUE(client.wait_for("lease ended: ipv4 10.66.0.5 ipv6 fd66::5", 10s)) << client.log();
  EXPECT_TRUE(global_addresses().empty());
  EXPECT_FALSE(state());
  const std::size_t mark = client.log().size();
  server_->resume();
  ASSERT_TRUE(client.wait_for("lease bound: ipv4 10.66.0.5 ipv6 fd66::5 leasetime 3", 10s, mark)) << client.log();
  EXPECT_NE(hook_log().find("expired   10.66.0.5 "), std::string::npos) << hook_log();
  EXPECT_EQ(client.stop(), 0);
}

TEST_F(ClientProcessTest, WideAddressesAreRefused) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.0/24", "", 60); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("refused lease: 10.66.0.0/24 is not a /32", 10s)) << client.log();
  EXPECT_TRUE(global_addresses().empty());
  EXPECT_EQ(client.stop(), 0);
}

TEST_F(ClientProcessTest, AServerClockAnHourOffMakesNoTightLoop) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.5/32", "", 20, -3600); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("lease bound:", 10s)) << client.log();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(server_->requests().size(), 1u) << client.log();  // renewal is 8-10 s away
  EXPECT_EQ(global_addresses(), std::vector<std::string>{"10.66.0.5/32"});
}

TEST_F(ClientProcessTest, AddressesLostWithTheLinkComeBack) {
  server_ = std::make_unique<StandInServer>([](const std::string&) { return grant("10.66.0.5/32", "fd66::5/128", 3600); });
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("lease bound:", 10s)) << client.log();
  ASSERT_TRUE(shell_ok(std::string("ip link set ") + kIf + " down && ip link set " + kIf + " up"));
  ASSERT_TRUE(shell_ok(std::string("ip addr flush dev ") + kIf + " scope global"));
  EXPECT_TRUE(global_addresses().empty());
  ASSERT_TRUE(client.wait_for("re-added fd66::5", 10s)) << client.log();
  EXPECT_TRUE(eventually([] { return global_addresses() == std::vector<std::string>{"10.66.0.5/32", "fd66::5/128"}; }, 2s));
  EXPECT_TRUE(has_address(kLinkLocal));
}

TEST_F(ClientProcessTest, SigtermDuringAHangingRequestStopsAtOnce) {
  // No server at all: nothing answers for fe80::, so connections hang until their timeout.
  ASSERT_TRUE(shell_ok(std::string("ip -6 addr del fe80::/64 dev ") + kIf));
  auto& client = start_client();
  ASSERT_TRUE(client.wait_for("request to [fe80::%lh0]:970", 10s)) << client.log();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << client.log();
}

}  // namespace
}  // namespace leasehold::client
