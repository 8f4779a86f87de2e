// ChildProcess: a server the benchmark starts and measures (CPU time, resident memory).
// Owns the process: the destructor stops it (SIGTERM, then SIGKILL after a grace period),
// and the kernel kills it if the benchmark dies first (PR_SET_PDEATHSIG).
// Not thread-safe; use from the thread that started it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace leasehold::bench {

class ChildProcess {
 public:
  // Runs argv[0] with stderr (and stdout, unless stdout_pipe) appended to log_path.
  // With stdout_pipe, the child's stdout is read through read_stdout_line().
  static Result<ChildProcess> start(const std::vector<std::string>& argv,
                                    const std::string& log_path, bool stdout_pipe);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // One line of the child's stdout, without the newline.
  Result<std::string> read_stdout_line(std::chrono::milliseconds timeout);

  // True once the process has ended (reaps it); exit_description() then says how.
  bool exited();
  std::string exit_description() const;

  // utime + stime of all its threads, from /proc/PID/stat (clock-tick resolution).
  Result<std::chrono::nanoseconds> cpu_time() const;
  // VmRSS from /proc/PID/status.
  Result<std::uint64_t> rss_bytes() const;

  // SIGTERM, wait up to `grace`, then SIGKILL; always reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int wait_status_ = 0;
  bool reaped_ = false;
  std::string stdout_buffer_;
};

// The last `max_lines` lines of a text file (for showing a failed server's log).
std::string file_tail(const std::string& path, std::size_t max_lines);

}  // namespace leasehold::bench
