#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <thread>

namespace leasehold::bench {
namespace {

std::string errno_text() { return std::strerror(errno); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(char* const* argv, int log_fd, int stdout_fd, int report_fd,
                             pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
  if (::dup2(stdout_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) ::_exit(127);
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  ::execv(argv[0], argv);
  int err = errno;
  [[maybe_unused]] ssize_t n = ::write(report_fd, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

Result<ChildProcess> ChildProcess::start(const std::vector<std::string>& argv,
                                         const std::string& log_path, bool stdout_pipe) {
  if (argv.empty()) return make_error(Errc::invalid_argument, "no program to start");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return make_error(Errc::io, "cannot open log " + log_path + ": " + errno_text());
  int out_pipe[2] = {-1, -1};
  int report_pipe[2] = {-1, -1};  // carries errno if exec fails; closed by a successful exec
  if ((stdout_pipe && ::pipe2(out_pipe, O_CLOEXEC) != 0) || ::pipe2(report_pipe, O_CLOEXEC) != 0) {
    Error e = make_error(Errc::io, "pipe: " + errno_text());
    close_fd(log_fd);
    close_fd(out_pipe[0]);
    close_fd(out_pipe[1]);
    return e;
  }

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) exec_child(args.data(), log_fd, stdout_pipe ? out_pipe[1] : log_fd, report_pipe[1], parent);
  int fork_errno = errno;
  close_fd(log_fd);
  close_fd(out_pipe[1]);
  close_fd(report_pipe[1]);
  if (pid < 0) {
    close_fd(out_pipe[0]);
    close_fd(report_pipe[0]);
    return make_error(Errc::io, "fork: " + std::string(std::strerror(fork_errno)));
  }

  ChildProcess child(pid, out_pipe[0]);
  int exec_errno = 0;
  ssize_t n;
  do n = ::read(report_pipe[0], &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  close_fd(report_pipe[0]);
  if (n > 0) {
    child.stop();
    return make_error(Errc::io, "cannot run " + argv[0] + ": " + std::strerror(exec_errno));
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_),
      stdout_fd_(other.stdout_fd_),
      wait_status_(other.wait_status_),
      reaped_(other.reaped_),
      stdout_buffer_(std::move(other.stdout_buffer_)) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    close_fd(stdout_fd_);
    pid_ = other.pid_;
    stdout_fd_ = other.stdout_fd_;
    wait_status_ = other.wait_status_;
    reaped_ = other.reaped_;
    stdout_buffer_ = std::move(other.stdout_buffer_);
    other.pid_ = -1;
    other.stdout_fd_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  stop();
  close_fd(stdout_fd_);
}

Result<std::string> ChildProcess::read_stdout_line(std::chrono::milliseconds timeout) {
  if (stdout_fd_ < 0) return make_error(Errc::invalid_argument, "stdout is not piped");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = stdout_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, nl);
      stdout_buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return make_error(Errc::unavailable, "no output within the time limit");
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) return make_error(Errc::io, "poll: " + errno_text());
    if (r <= 0) continue;
    char buf[256];
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n == 0) return make_error(Errc::unavailable, "stdout closed before a full line");
    if (n < 0 && errno != EINTR) return make_error(Errc::io, "read: " + errno_text());
    if (n > 0) stdout_buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

bool ChildProcess::exited() {
  if (pid_ < 0 || reaped_) return true;
  pid_t r = ::waitpid(pid_, &wait_status_, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
  return reaped_;
}

std::string ChildProcess::exit_description() const {
  if (!reaped_) return "still running";
  if (WIFEXITED(wait_status_)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(wait_status_));
  return "ended";
}

Result<std::chrono::nanoseconds> ChildProcess::cpu_time() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields are counted after its ')'.
  if (text.empty()) return make_error(Errc::io, "cannot read /proc/" + std::to_string(pid_) + "/stat");
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return make_error(Errc::corruption, "unexpected /proc stat format");
  std::istringstream fields(text.substr(close_paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // utime is field 14, stime 15
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  if (!fields) return make_error(Errc::corruption, "short /proc stat line");
  static const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  auto ticks = static_cast<std::int64_t>(utime + stime);
  return std::chrono::nanoseconds(ticks * 1'000'000'000 / ticks_per_second);
}

Result<std::uint64_t> ChildProcess::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  if (!in) return make_error(Errc::io, "cannot read /proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    std::uint64_t kib = 0;
    if (!(fields >> kib)) break;
    return kib * 1024;
  }
  return make_error(Errc::corruption, "no VmRSS line for pid " + std::to_string(pid_));
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0 || exited()) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!exited()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string file_tail(const std::string& path, std::size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line.size() > 300 ? line.substr(0, 300) + "..." : line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines) out += "    " + l + "\n";
  return out;
}

}  // namespace leasehold::bench
