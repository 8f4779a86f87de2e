// HookRunner: runs the --hook program on every lease change, one at a time and in order, with
// the change in its environment (LEASEHOLD_INTERFACE, _REASON, _IPV4, _IPV6, _OLD_IPV4,
// _OLD_IPV6, _LEASETIME). A hook never blocks the client: it runs in the background, in a
// process group of its own, and is killed with that group when it overruns its time limit.
// Driven from the client's poll loop (fd(), next_wakeup_mono_ms(), service()). Single-threaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/clock.h"
#include "client/lease_keeper.h"

namespace leasehold::client {

inline constexpr std::int64_t kHookTimeoutMs = 30'000;

// The environment variables a hook gets for one event (besides the client's own).
std::map<std::string, std::string> hook_environment(const std::string& ifname, const Event& event);

class HookRunner {
 public:
  // An empty path runs nothing.
  HookRunner(std::string path, const Clock& clock, std::int64_t timeout_ms = kHookTimeoutMs);
  ~HookRunner();  // kills a hook still running
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  void run(std::map<std::string, std::string> variables);

  // A descriptor that becomes readable when the running hook exits, or -1.
  int fd() const { return pidfd_; }
  // When service() must be called at the latest, if a hook is running.
  std::optional<std::int64_t> next_wakeup_mono_ms() const;
  // Reaps a finished hook, kills an overdue one, starts the next queued one.
  void service();
  // Waits until every queued hook ran (each within its time limit). For shutdown.
  void drain();
  bool idle() const { return pid_ <= 0 && queue_.empty(); }

 private:
  void start_next();
  void finish(int wait_status, bool killed);

  std::string path_;
  const Clock& clock_;
  std::int64_t timeout_ms_;
  std::deque<std::map<std::string, std::string>> queue_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::int64_t deadline_ms_ = 0;
};

}  // namespace leasehold::client
