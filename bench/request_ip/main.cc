// bench_request_ip: request_ip throughput, latency, restart time and memory.
// Drives a bare epoll responder (this machine's loopback TCP limit) and leasehold-server
// with the same load generator, then restarts the server on a 1M-lease store, and prints
// one table with the targets beside the results. Figures live in docs/performance.md.

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "child_process.h"
#include "load_generator.h"
#include "peers.h"
#include "phase.h"
#include "seed_store.h"

namespace leasehold::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Seconds = std::chrono::duration<double>;

constexpr std::uint32_t kLoopback = 0x7F000001;
constexpr std::uint64_t kProbePeer = 0;  // peers 1.. carry the load
constexpr auto kStartLimit = std::chrono::seconds(300);
constexpr double kTargetRateRatio = 0.80;
constexpr double kTargetCpuRatio = 2.0;
constexpr double kTargetRestartSeconds = 3.0;
constexpr double kTargetBytesPerLease = 200;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

struct Options {
  std::string server = LEASEHOLD_SERVER_PATH;
  std::string bare = BARE_RESPONDER_PATH;
  double duration_seconds = 5;
  double warmup_seconds = 1;
  std::vector<int> connections = {64, 256};  // one sweep per count, each on a fresh store
  std::uint64_t peers = 200'000;
  int threads = 2;  // leasehold-server's request-ip.threads
  std::uint64_t leases = 1'000'000;
  bool skip_1m = false;
  bool bare_only = false;
  std::string work_dir = fs::temp_directory_path().string();
  bool keep = false;
};

// A private directory for configs, databases and logs; removed on scope exit unless kept.
class WorkDir {
 public:
  static Result<WorkDir> create(const std::string& parent, bool keep) {
    std::string pattern = (fs::path(parent) / "bench_request_ip.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      return make_error(Errc::io, "cannot create a directory in --work-dir \"" + parent + "\"");
    return WorkDir(pattern, keep);
  }
  WorkDir(WorkDir&& o) noexcept : path_(std::move(o.path_)), keep_(o.keep_) { o.path_.clear(); }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  WorkDir& operator=(WorkDir&&) = delete;
  ~WorkDir() {
    std::error_code ec;
    if (!path_.empty() && !keep_) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  WorkDir(std::string path, bool keep) : path_(std::move(path)), keep_(keep) {}
  std::string path_;
  bool keep_;
};

// A port that was free a moment ago: the server config needs a number before it starts.
Result<std::uint16_t> free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, "socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(kLoopback);
  socklen_t len = sizeof a;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) return make_error(Errc::io, "cannot bind 127.0.0.1:0");
  return ntohs(a.sin_port);
}

void raise_fd_limit() {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur >= nofile.rlim_max) return;
  nofile.rlim_cur = nofile.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) std::perror("setrlimit NOFILE");
}

struct RunningServer {
  ChildProcess process;
  Endpoint endpoint;
  double start_seconds = 0;  // exec to first good response
  std::string first_response;
};

Result<RunningServer> start_bare(const Options& o, const WorkDir& work) {
  std::string log = work.file("bare_responder.log");
  auto process = ChildProcess::start({o.bare, "0"}, log, true);
  if (!process) return process.error();
  auto line = process->read_stdout_line(std::chrono::seconds(5));
  std::uint16_t port = 0;
  if (!line || line->rfind("port ", 0) != 0 ||
      std::from_chars(line->data() + 5, line->data() + line->size(), port).ec != std::errc())
    return make_error(Errc::unavailable, "bare_responder did not report its port\n" + file_tail(log, 10));
  Endpoint endpoint{kLoopback, port};
  auto reply = wait_until_serving(*process, endpoint, peer_source(kProbePeer), std::chrono::seconds(10), g_stop);
  if (!reply) return make_error(reply.error().code, reply.error().message + "\n" + file_tail(log, 10));
  return RunningServer{std::move(*process), endpoint, 0, *reply};
}

Result<RunningServer> start_leasehold(const Options& o, const WorkDir& work, const std::string& name,
                                      const std::string& db_path, std::uint64_t peer_count) {
  auto port = free_port();
  if (!port) return port.error();
  std::string config = work.file(name + ".json");
  std::string log = work.file(name + ".log");
  if (Status s = write_server_config(config, {*port, db_path, peer_count, o.threads}); !s) return s.error();

  auto started = Clock::now();
  auto process = ChildProcess::start({o.server, "--config", config}, log, false);
  if (!process) return process.error();
  Endpoint endpoint{kLoopback, *port};
  auto reply = wait_until_serving(*process, endpoint, peer_source(kProbePeer), kStartLimit, g_stop);
  double seconds = Seconds(Clock::now() - started).count();
  if (!reply) {
    std::string tail = file_tail(log, 15);
    return make_error(reply.error().code, name + ": " + reply.error().message +
                                              (tail.empty() ? "" : "\n  log " + log + ":\n" + tail));
  }
  return RunningServer{std::move(*process), endpoint, seconds, *reply};
}

struct Row {
  std::string name;
  std::optional<PhaseResult> result;
  std::string problem;  // why the phase did not run or failed
};

struct MillionResult {
  bool ran = false;
  std::string problem;
  double seed_seconds = 0;
  double restart_seconds = 0;
  std::uint64_t rss_bytes = 0;
  std::uint64_t rss_empty_bytes = 0;
  std::string note;
  std::string server_load_line;  // what the server logged about loading the store
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string first_word(const std::string& text) { return text.substr(0, text.find(' ')); }

// The first line of a log that contains `needle`, without its timestamp; empty if none.
std::string find_line(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return line.substr(std::min(line.find(' ') + 1, line.size()));
  return {};
}

Row measure(const std::string& name, RunningServer& server, PeerCursor& peers, const PhaseOptions& po) {
  std::fprintf(stderr, "running: %s\n", name.c_str());
  auto r = run_phase(server.endpoint, server.process, peers, po, g_stop);
  if (!r) return Row{name, std::nullopt, r.error().message};
  return Row{name, *r, {}};
}

// Bare responder, then leasehold new leases and renewals. Appends one row per phase.
void run_load_phases(const Options& o, const WorkDir& work, const PhaseOptions& po, std::vector<Row>& rows) {
  const std::string tag = "leasehold-" + std::to_string(po.connections);
  {
    auto bare = start_bare(o, work);
    if (!bare) rows.push_back({"bare responder (limit)", std::nullopt, bare.error().message});
    PeerCursor all(1, o.peers, true);
    if (bare) rows.push_back(measure("bare responder (limit)", *bare, all, po));
  }
  if (o.bare_only || g_stop) return;
  if (!fs::exists(o.server)) {
    std::string problem = "leasehold-server not found at " + o.server + " (--server, or --bare-only)";
    rows.push_back({"leasehold new leases", std::nullopt, problem});
    rows.push_back({"leasehold renewals", std::nullopt, problem});
    return;
  }
  std::fprintf(stderr, "starting leasehold-server with %llu peers\n",
               static_cast<unsigned long long>(o.peers + 1));
  auto server = start_leasehold(o, work, tag, work.file(tag + ".db"), o.peers + 1);
  if (!server) {
    rows.push_back({"leasehold new leases", std::nullopt, server.error().message});
    rows.push_back({"leasehold renewals", std::nullopt, server.error().message});
    return;
  }
  PeerCursor fresh(1, o.peers, false);
  rows.push_back(measure("leasehold new leases", *server, fresh, po));
  if (g_stop) return;
  // Every peer the new-lease phase sent holds a lease now (bar its errors): renew those.
  std::uint64_t leased = std::max<std::uint64_t>(fresh.issued(), 1);
  PeerCursor again(1, leased, true);
  rows.push_back(measure("leasehold renewals", *server, again, po));
}

MillionResult run_million(const Options& o, const WorkDir& work) {
  MillionResult m;
  if (!fs::exists(o.server)) {
    m.problem = "leasehold-server not found at " + o.server;
    return m;
  }
  std::fprintf(stderr, "seeding %llu leases\n", static_cast<unsigned long long>(o.leases));
  std::string db = work.file("million.db");
  auto seed_start = Clock::now();
  auto seeded = seed_store(db, o.leases, kProbePeer);
  if (!seeded) {
    m.problem = "seeding: " + seeded.error().message;
    return m;
  }
  m.seed_seconds = Seconds(Clock::now() - seed_start).count();
  if (g_stop) return m;

  std::fprintf(stderr, "starting leasehold-server on an empty store\n");
  {
    auto empty = start_leasehold(o, work, "empty", work.file("empty.db"), 1);
    if (!empty) {
      m.problem = empty.error().message;
      return m;
    }
    auto rss = empty->process.rss_bytes();
    if (!rss) {
      m.problem = rss.error().message;
      return m;
    }
    m.rss_empty_bytes = *rss;
  }
  std::fprintf(stderr, "starting leasehold-server on the %llu-lease store\n",
               static_cast<unsigned long long>(o.leases));
  auto full = start_leasehold(o, work, "million", db, 1);
  if (!full) {
    m.problem = full.error().message;
    return m;
  }
  m.restart_seconds = full->start_seconds;
  // The probe is peer 0 of the seeded store: a server that loaded it renews that address.
  std::string expected = "ipv4=" + seeded->v4.to_string() + "/32\n";
  if (full->first_response.find(expected) == std::string::npos)
    m.note = "probe did not get its seeded address " + seeded->v4.to_string() +
             " back: were the leases loaded?";
  auto rss = full->process.rss_bytes();
  if (!rss) {
    m.problem = rss.error().message;
    return m;
  }
  m.rss_bytes = *rss;
  m.server_load_line = find_line(work.file("million.log"), "lease rows");
  m.ran = true;
  return m;
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

// Prints the table; returns false if a phase failed or had no successful request.
// Runs bench_allocator (in-process engine benchmark) and prints its 99.9% row and verdict,
// so this report carries every figure of issue 2 in one run.
void print_allocation_latency() {
  FILE* f = ::popen(BENCH_ALLOCATOR_PATH " 2>&1", "r");
  if (f == nullptr) {
    std::printf("allocation latency: could not run %s\n", BENCH_ALLOCATOR_PATH);
    return;
  }
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  std::istringstream lines(out);
  std::string line;
  std::printf("allocation latency (bench_allocator, IPv4 /12 pool; allocator = draw + insert, grant = whole engine request):\n");
  while (std::getline(lines, line)) {
    std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    bool row = trimmed.rfind("0.0%", 0) == 0 || trimmed.rfind("99.9%", 0) == 0;
    if (row || trimmed.rfind("pool use", 0) == 0) std::printf("  %s\n", line.c_str());
  }
}

struct Sweep {
  int connections;
  std::vector<Row> rows;
};

// Prints one sweep's phases and ratios; returns false if a phase failed.
bool print_sweep(const Sweep& sweep) {
  bool ok = true;
  const std::vector<Row>& rows = sweep.rows;
  std::printf("-- %d concurrent connections\n", sweep.connections);
  for (const Row& row : rows) {
    if (!row.result) {
      std::printf("%-24s not run: %s\n", row.name.c_str(), row.problem.c_str());
      ok = false;
      continue;
    }
    const PhaseResult& r = *row.result;
    std::printf("%-24s %8.0f %8.2f %8.2f %8.2f %11.1f %7llu\n", row.name.c_str(), r.requests_per_second,
                r.p50_ms, r.p99_ms, r.max_ms, r.server_cpu_us_per_request,
                static_cast<unsigned long long>(r.errors));
    if (r.ok == 0) ok = false;
  }
  auto find = [&](const char* name) -> const PhaseResult* {
    for (const Row& row : rows)
      if (row.name == name && row.result && row.result->ok > 0) return &*row.result;
    return nullptr;
  };
  const PhaseResult* bare = find("bare responder (limit)");
  const PhaseResult* fresh = find("leasehold new leases");
  const PhaseResult* renew = find("leasehold renewals");
  if (bare && fresh) {
    double rate = fresh->requests_per_second / bare->requests_per_second;
    double cpu = fresh->server_cpu_us_per_request / bare->server_cpu_us_per_request;
    std::printf("%-24s %8.2f   (target >= %.2f: %s)\n", "ratio new/limit", rate, kTargetRateRatio,
                verdict(rate >= kTargetRateRatio));
    std::printf("%-24s %8.2f   (target <= %.1f: %s)\n", "cpu ratio new/bare", cpu, kTargetCpuRatio,
                verdict(cpu <= kTargetCpuRatio));
  }
  if (bare && renew)
    std::printf("%-24s %8.2f   (cpu ratio %.2f; no target)\n", "ratio renewals/limit",
                renew->requests_per_second / bare->requests_per_second,
                renew->server_cpu_us_per_request / bare->server_cpu_us_per_request);
  for (const Row& row : rows) {
    if (!row.result) continue;
    if (!row.result->first_error.empty())
      std::printf("note: %s: first error: %s\n", row.name.c_str(), row.result->first_error.c_str());
    if (row.result->exhausted_in_warmup)
      std::printf("note: %s: ran out of peers during the warm-up; raise --peers\n", row.name.c_str());
    else if (row.result->peers_exhausted)
      std::printf("note: %s: ran out of peers after %.1f s; raise --peers\n", row.name.c_str(), row.result->seconds);
  }
  return ok;
}

bool print_report(const Options& o, const std::string& load_average, const std::vector<Sweep>& sweeps,
                  const std::optional<MillionResult>& million) {
  bool ok = true;
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("\nrequest_ip benchmark (leasehold-server with %d request thread%s; %g s per phase after %g s warm-up, "
              "%ld cores, load average %s at start)\n",
              o.threads, o.threads == 1 ? "" : "s", o.duration_seconds, o.warmup_seconds, cores, load_average.c_str());
  std::printf("%-24s %8s %8s %8s %8s %12s %7s\n", "phase", "req/s", "p50 ms", "p99 ms", "max ms",
              "cpu µs/req", "errors");
  for (const Sweep& sweep : sweeps) ok = print_sweep(sweep) && ok;

  if (million && million->ran) {
    double leases = static_cast<double>(o.leases);
    double per_lease = static_cast<double>(million->rss_bytes) / leases;
    double above_empty = (static_cast<double>(million->rss_bytes) - static_cast<double>(million->rss_empty_bytes)) / leases;
    std::printf("%llu leases: restart %.2f s (target <= %g s: %s), RSS %.0f MB = %.0f B/lease "
                "(target <= %g: %s)\n",
                static_cast<unsigned long long>(o.leases), million->restart_seconds, kTargetRestartSeconds,
                verdict(million->restart_seconds <= kTargetRestartSeconds), static_cast<double>(million->rss_bytes) / 1e6,
                per_lease, kTargetBytesPerLease, verdict(per_lease <= kTargetBytesPerLease));
    std::printf("  above an empty server (%.0f MB): %.0f B/lease; store seeded in %.1f s\n",
                static_cast<double>(million->rss_empty_bytes) / 1e6, above_empty, million->seed_seconds);
    if (!million->server_load_line.empty()) std::printf("  server log: %s\n", million->server_load_line.c_str());
    if (!million->note.empty()) std::printf("  note: %s\n", million->note.c_str());
  } else if (million) {
    std::printf("%llu leases: not run: %s\n", static_cast<unsigned long long>(o.leases), million->problem.c_str());
    ok = false;
  } else {
    std::printf("1M leases: skipped (%s)\n", o.bare_only ? "--bare-only" : "--skip-1m");
  }
  print_allocation_latency();
  return ok;
}

int run(const Options& o) {
  raise_fd_limit();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the benchmark at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto work = WorkDir::create(o.work_dir, o.keep);
  if (!work) {
    std::fprintf(stderr, "bench_request_ip: %s\n", work.error().message.c_str());
    return 1;
  }
  if (o.keep) std::fprintf(stderr, "work directory: %s\n", work->path().c_str());

  PhaseOptions po;
  po.warmup = std::chrono::duration_cast<std::chrono::nanoseconds>(Seconds(o.warmup_seconds));
  po.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(Seconds(o.duration_seconds));

  // Other work on the machine moves every figure; the ratios are taken within one run.
  std::string load_average = first_word(read_text("/proc/loadavg"));
  std::vector<Sweep> sweeps;
  for (int n : o.connections) {
    if (g_stop) break;
    po.connections = n;
    sweeps.push_back(Sweep{n, {}});
    run_load_phases(o, *work, po, sweeps.back().rows);
  }
  std::optional<MillionResult> million;
  if (!o.skip_1m && !o.bare_only && !g_stop) million = run_million(o, *work);
  if (g_stop) {
    std::fprintf(stderr, "bench_request_ip: interrupted\n");
    return 130;
  }
  return print_report(o, load_average, sweeps, million) ? 0 : 1;
}

}  // namespace
}  // namespace leasehold::bench

int main(int argc, char** argv) {
  leasehold::bench::Options o;
  CLI::App app{"request_ip benchmark: leasehold-server against a bare epoll responder over loopback TCP"};
  app.add_option("--server", o.server, "leasehold-server binary")->capture_default_str();
  app.add_option("--bare-responder", o.bare, "bare_responder binary")->capture_default_str();
  app.add_option("--duration", o.duration_seconds, "measured seconds per phase")
      ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", o.warmup_seconds, "unmeasured seconds before each phase")
      ->capture_default_str()->check(CLI::Range(0.0, 600.0));
  app.add_option("--connections", o.connections, "concurrent connections; several (64,256) run one sweep each")
      ->capture_default_str()->delimiter(',')->check(CLI::Range(1, 4096));  // the server config allows 4096
  app.add_option("--peers", o.peers, "peers in the server config; each new lease uses one")
      ->capture_default_str()->check(CLI::Range(std::uint64_t{1}, leasehold::bench::kMaxPeers - 1));
  app.add_option("--leases", o.leases, "peers (one IPv4 + one IPv6 lease each) for the restart and RSS test")
      ->capture_default_str()->check(CLI::Range(std::uint64_t{1}, std::uint64_t{16'000'000}));
  app.add_option("--threads", o.threads, "leasehold-server request threads (request-ip.threads)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  app.add_flag("--skip-1m", o.skip_1m, "skip the restart and RSS test");
  app.add_flag("--bare-only", o.bare_only, "only measure the bare responder");
  app.add_option("--work-dir", o.work_dir, "where the temporary directory goes")->capture_default_str();
  app.add_flag("--keep-work-dir", o.keep, "keep configs, databases and logs");
  CLI11_PARSE(app, argc, argv);
  return leasehold::bench::run(o);
}
