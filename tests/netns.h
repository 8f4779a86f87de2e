// ScopedNetns: a fresh, uniquely named network namespace ("lhtest-<pid>-<n>") that the calling
// thread enters for the object's lifetime; the old namespace is restored and the new one
// deleted when it goes. Child processes started meanwhile (ip, the binaries under test) run
// inside it. Needs root; tests skip with root_skip_reason() when it would fail.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace leasehold::testing {

// Why namespace tests cannot run here, or "" if they can.
inline std::string root_skip_reason() {
  return geteuid() == 0 ? "" : "needs root (creates a network namespace)";
}

// Runs a shell command; true if it exited 0.
inline bool shell_ok(const std::string& command) { return std::system(command.c_str()) == 0; }

class ScopedNetns {
 public:
  ScopedNetns() {
    static std::atomic<int> counter{0};
    name_ = "lhtest-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    if (!shell_ok("ip netns add " + name_)) return;
    original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    entered_ = original_ >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) ::close(target);
    if (entered_) shell_ok("ip link set lo up");
  }
  ~ScopedNetns() {
    if (entered_) setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
    shell_ok("ip netns del " + name_ + " 2>/dev/null");
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  bool ok() const { return entered_; }
  const std::string& name() const { return name_; }

  // A test interface that carries IP like a WireGuard one: dummy where the kernel has it,
  // else one end of a veth pair (both ends up, so that IPv6 comes up too).
  static bool add_interface(const std::string& ifname) {
    if (shell_ok("ip link add " + ifname + " type dummy 2>/dev/null")) return shell_ok("ip link set " + ifname + " up");
    return shell_ok("ip link add " + ifname + " type veth peer name " + ifname + "p") &&
           shell_ok("ip link set " + ifname + "p up") && shell_ok("ip link set " + ifname + " up");
  }

 private:
  std::string name_;
  int original_ = -1;
  bool entered_ = false;
};

}  // namespace leasehold::testing
