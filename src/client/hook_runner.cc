#include "client/hook_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

extern char** environ;

namespace leasehold::client {
namespace {

// Without a pidfd (kernels before 5.3) service() polls for the exit this often.
constexpr std::int64_t kPollWithoutPidfdMs = 200;

std::string text_of(const std::optional<net::Address>& address) { return address ? address->to_string() : ""; }

// The client's environment with the hook's variables put over it.
std::vector<std::string> merged_environment(const std::map<std::string, std::string>& variables) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (!variables.contains(name)) out.push_back(entry);
  }
  for (const auto& [name, value] : variables) out.push_back(name + "=" + value);
  return out;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

}  // namespace

std::map<std::string, std::string> hook_environment(const std::string& ifname, const Event& event) {
  return {
      {"LEASEHOLD_INTERFACE", ifname},
      {"LEASEHOLD_REASON", reason_name(event.reason)},
      {"LEASEHOLD_IPV4", text_of(event.addresses.ipv4)},
      {"LEASEHOLD_IPV6", text_of(event.addresses.ipv6)},
      {"LEASEHOLD_OLD_IPV4", text_of(event.old_addresses.ipv4)},
      {"LEASEHOLD_OLD_IPV6", text_of(event.old_addresses.ipv6)},
      {"LEASEHOLD_LEASETIME", event.leasetime_seconds ? std::to_string(*event.leasetime_seconds) : ""},
  };
}

HookRunner::HookRunner(std::string path, const Clock& clock, std::int64_t timeout_ms)
    : path_(std::move(path)), clock_(clock), timeout_ms_(timeout_ms) {}

HookRunner::~HookRunner() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

void HookRunner::run(std::map<std::string, std::string> variables) {
  if (path_.empty()) return;
  queue_.push_back(std::move(variables));
  if (pid_ <= 0) start_next();
}

std::optional<std::int64_t> HookRunner::next_wakeup_mono_ms() const {
  if (pid_ <= 0) return std::nullopt;
  if (pidfd_ < 0) return std::min(deadline_ms_, clock_.mono_ms() + kPollWithoutPidfdMs);
  return deadline_ms_;
}

void HookRunner::start_next() {
  while (pid_ <= 0 && !queue_.empty()) {
    const auto variables = std::move(queue_.front());
    queue_.pop_front();
    std::vector<std::string> env = merged_environment(variables);
    std::vector<char*> envp;
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);
    char* argv[] = {path_.data(), nullptr};

    // The client blocks SIGTERM and SIGINT for its signalfd; the hook must not inherit that.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group, so a timeout kills its children too
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    const int error = posix_spawn(&pid, path_.c_str(), &files, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (error != 0) {
      spdlog::warn("hook {}: cannot run: {}", path_, std::strerror(error));
      continue;
    }
    pid_ = pid;
    pidfd_ = open_pidfd(pid);
    deadline_ms_ = clock_.mono_ms() + timeout_ms_;
    const auto reason = variables.find("LEASEHOLD_REASON");
    spdlog::debug("hook {} started (pid {}, reason {})", path_, pid, reason == variables.end() ? "" : reason->second);
  }
}

void HookRunner::finish(int wait_status, bool killed) {
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) != 0)
    spdlog::warn("hook {} exited with status {}", path_, WEXITSTATUS(wait_status));
  else if (WIFSIGNALED(wait_status) && !killed)
    spdlog::warn("hook {} killed by signal {}", path_, WTERMSIG(wait_status));
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
}

void HookRunner::service() {
  if (pid_ > 0) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      finish(status, false);
    } else if (clock_.mono_ms() >= deadline_ms_) {
      spdlog::warn("hook {} ran longer than {:.1f} s: killed", path_, static_cast<double>(timeout_ms_) / 1000);
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      finish(status, true);
    }
  }
  start_next();
}

void HookRunner::drain() {
  while (!idle()) {
    const auto wakeup = next_wakeup_mono_ms();
    const std::int64_t wait_ms = wakeup ? std::max<std::int64_t>(0, *wakeup - clock_.mono_ms()) : 0;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(wait_ms, 1000)));
    } else if (wait_ms > 0) {
      ::usleep(static_cast<useconds_t>(std::min<std::int64_t>(wait_ms, kPollWithoutPidfdMs) * 1000));
    }
    service();
  }
}

}  // namespace leasehold::client
