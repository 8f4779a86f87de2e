// bench_control: the control API's command rate. The same compiled client sends
// lease4-add, lease4-get and lease4-del (each address added, fetched and deleted) to
//   - leasehold-server over its UNIX socket, one connection per command, every add durable;
//   - Kea 2.2 (kea-dhcp4, lease_cmds hook, memfile) over its UNIX socket, the same way;
//   - a bare UNIX responder that answers a fixed JSON: the limit of one connection per
//     command on this machine;
//   - over HTTP keep-alive: leasehold's HTTP endpoint and Kea's control agent;
// all in one run, with 1 and more concurrent clients, and prints rates and ratios.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "common/base64.h"

namespace {

using namespace leasehold;
using Clock = std::chrono::steady_clock;

// ---- one command, two transports --------------------------------------------------------

// UNIX: connect, send, read to EOF. Empty on failure.
std::string unix_command(const std::string& path, const std::string& command) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
    char chunk[8192];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

// HTTP/1.1 keep-alive: one connection per client thread, requests one after another.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) {}
  ~HttpClient() { disconnect(); }
  std::string post(const std::string& body) {
    if (fd_ < 0 && !connect()) return "";
    std::string req = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::write(fd_, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return fail();
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return fail();
    std::string head = buffer_.substr(0, end);
    auto cl = head.find("Content-Length: ");
    if (cl == std::string::npos) cl = head.find("content-length: ");
    if (cl == std::string::npos) return fail();
    std::size_t length = std::stoul(head.substr(cl + 16));
    buffer_.erase(0, end + 4);
    while (buffer_.size() < length)
      if (!fill()) return fail();
    std::string out = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return out;
  }

 private:
  bool connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    disconnect();
    return false;
  }
  bool fill() {
    char chunk[16384];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  std::string fail() {
    disconnect();
    return "";
  }
  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }
  std::uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
};

// ---- the workload ------------------------------------------------------------------------

enum class Flavour { leasehold, kea, bare };

// Lease n: a distinct address in 10.0.0.0/8 and a distinct identifier.
std::string address_of(std::uint64_t n) {
  std::uint32_t v = 0x0a000001u + static_cast<std::uint32_t>(n % 0xfffff0u);
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." + std::to_string((v >> 8) & 255) + "." +
         std::to_string(v & 255);
}

std::string identifier_of(Flavour f, std::uint64_t n) {
  if (f == Flavour::kea) {
    char mac[64];
    std::snprintf(mac, sizeof mac, "\"hw-address\": \"02:%02x:%02x:%02x:%02x:%02x\"", static_cast<unsigned>((n >> 32) & 255),
                  static_cast<unsigned>((n >> 24) & 255), static_cast<unsigned>((n >> 16) & 255),
                  static_cast<unsigned>((n >> 8) & 255), static_cast<unsigned>(n & 255));
    return mac;
  }
  std::uint8_t key[32] = {};
  for (int i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(n >> (8 * i));
  key[31] = 0x42;
  return "\"public-key\": \"" + base64_encode(key) + "\"";
}

// The three commands for lease n; Kea's control agent needs "service".
std::vector<std::string> commands_for(Flavour f, std::uint64_t n, bool via_agent) {
  std::string service = via_agent ? ", \"service\": [ \"dhcp4\" ]" : "";
  std::string ip = "\"ip-address\": \"" + address_of(n) + "\"";
  return {"{ \"command\": \"lease4-add\"" + service + ", \"arguments\": { " + ip + ", " + identifier_of(f, n) + " } }",
          "{ \"command\": \"lease4-get\"" + service + ", \"arguments\": { " + ip + " } }",
          "{ \"command\": \"lease4-del\"" + service + ", \"arguments\": { " + ip + " } }"};
}

bool answer_ok(const std::string& a) { return a.find("\"result\": 0") != std::string::npos; }

struct Target {
  std::string name;
  std::string transport;
  Flavour flavour;
  std::function<std::string(int thread, const std::string&)> send;  // per-thread channel
  std::function<void(int threads)> prepare;                          // per-phase setup
};

struct PhaseResult {
  double rate = 0;  // commands per second, all three kinds
  double p50_ms = 0, p99_ms = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

PhaseResult run_phase(Target& t, int clients, double warmup, double duration) {
  if (t.prepare) t.prepare(clients);
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  std::vector<std::uint64_t> counts(static_cast<std::size_t>(clients)), errors(static_cast<std::size_t>(clients));
  std::vector<std::string> first_error(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  static std::atomic<std::uint64_t> next_lease{1};
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      auto& lat = latencies[static_cast<std::size_t>(c)];
      while (!stop.load()) {
        std::uint64_t n = next_lease.fetch_add(1);
        for (const auto& cmd : commands_for(t.flavour, n, t.transport == "http" && t.flavour == Flavour::kea)) {
          auto t0 = Clock::now();
          std::string answer = t.send(c, cmd);
          double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
          if (!measuring.load()) continue;
          ++counts[static_cast<std::size_t>(c)];
          lat.push_back(ms);
          if (!answer_ok(answer)) {
            if (errors[static_cast<std::size_t>(c)]++ == 0) first_error[static_cast<std::size_t>(c)] = answer.substr(0, 200);
          }
        }
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  measuring = true;
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (auto& th : threads) th.join();
  PhaseResult r;
  std::vector<double> all;
  for (int c = 0; c < clients; ++c) {
    r.errors += errors[static_cast<std::size_t>(c)];
    if (r.first_error.empty() && errors[static_cast<std::size_t>(c)]) r.first_error = first_error[static_cast<std::size_t>(c)];
    all.insert(all.end(), latencies[static_cast<std::size_t>(c)].begin(), latencies[static_cast<std::size_t>(c)].end());
  }
  r.rate = static_cast<double>(all.size()) / elapsed;
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

// ---- the servers -------------------------------------------------------------------------

bool wait_for_unix(const std::string& path, const std::string& probe) {
  for (int i = 0; i < 200; ++i) {
    if (!unix_command(path, probe).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool wait_for_http(std::uint16_t port, const std::string& probe) {
  for (int i = 0; i < 200; ++i) {
    HttpClient c(port);
    if (!c.post(probe).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string one;
  f >> one;
  return one;
}

struct Options {
  double duration = 5, warmup = 1;
  std::vector<int> clients = {1, 8};
  bool skip_kea = false, skip_http = false, keep = false;
  std::string server = LEASEHOLD_SERVER_PATH;
  std::string bare = BARE_UNIX_RESPONDER_PATH;
  std::string kea_dhcp4 = "/usr/sbin/kea-dhcp4";
  std::string kea_agent = "/usr/sbin/kea-ctrl-agent";
  std::string lease_cmds = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so";
};

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_control: control API command rate, leasehold vs Kea vs a bare UNIX responder"};
  Options o;
  app.add_option("--duration", o.duration, "measured seconds per phase")->capture_default_str();
  app.add_option("--warmup", o.warmup, "unmeasured seconds before each phase")->capture_default_str();
  app.add_option("--clients", o.clients, "concurrent clients; one sweep each (1,8,32)")->delimiter(',')->capture_default_str();
  app.add_flag("--skip-kea", o.skip_kea, "do not start Kea");
  app.add_flag("--skip-http", o.skip_http, "no HTTP phases");
  app.add_flag("--keep-work-dir", o.keep, "keep the temporary directory");
  app.add_option("--server", o.server, "leasehold-server binary")->capture_default_str();
  app.add_option("--kea-dhcp4", o.kea_dhcp4)->capture_default_str();
  app.add_option("--kea-ctrl-agent", o.kea_agent)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  char dir_template[] = "/tmp/lhbc-XXXXXX";
  if (!::mkdtemp(dir_template)) return 1;
  const std::string dir = dir_template;
  const std::string load = load_average();
  std::vector<bench::ChildProcess> children;
  auto start = [&](const std::vector<std::string>& args, const std::string& log) -> bool {
    auto child = bench::ChildProcess::start(args, dir + "/" + log, false);
    if (!child) {
      std::fprintf(stderr, "cannot start %s: %s\n", args[0].c_str(), child.error().message.c_str());
      return false;
    }
    children.push_back(std::move(*child));
    return true;
  };
  const std::uint16_t lh_http = static_cast<std::uint16_t>(30000 + ::getpid() % 10000);
  const std::uint16_t kea_http = static_cast<std::uint16_t>(lh_http + 1);

  // leasehold: SQLite (every add durable), UNIX and HTTP control sockets.
  write_file(dir + "/leasehold.json", R"({ "Leasehold": {
    "request-ip": { "listen": [ "127.0.0.1:0" ] },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8", "pools": [ { "pool": "10.0.0.0/8" } ] } ],
    "lease-database": { "type": "sqlite", "name": ")" + dir + R"(/leases.db" },
    "control-socket": { "socket-type": "unix", "socket-name": ")" + dir + R"(/lh.sock" },
    "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": )" + std::to_string(lh_http) + R"( } ],
    "log-level": "warn" } })");
  if (!start({o.server, "--config", dir + "/leasehold.json"}, "leasehold.log")) return 1;
  if (!wait_for_unix(dir + "/lh.sock", R"({"command": "version-get"})")) {
    std::fprintf(stderr, "leasehold-server did not start:\n%s\n", bench::file_tail(dir + "/leasehold.log", 20).c_str());
    return 1;
  }
  if (!start({o.bare, dir + "/bare.sock"}, "bare.log") || !wait_for_unix(dir + "/bare.sock", "{}")) return 1;

  bool kea = !o.skip_kea && std::filesystem::exists(o.kea_dhcp4) && std::filesystem::exists(o.lease_cmds);
  if (!o.skip_kea && !kea) std::printf("kea: not installed (apt-get install kea-dhcp4-server kea-ctrl-agent)\n");
  if (kea) {
    ::setenv("KEA_PIDFILE_DIR", dir.c_str(), 1);
    ::setenv("KEA_LOCKFILE_DIR", dir.c_str(), 1);
    write_file(dir + "/kea4.json", R"({ "Dhcp4": {
      "interfaces-config": { "interfaces": [] },
      "control-socket": { "socket-type": "unix", "socket-name": ")" + dir + R"(/kea4.sock" },
      "lease-database": { "type": "memfile", "persist": true, "name": ")" + dir + R"(/kea-leases4.csv", "lfc-interval": 0 },
      "hooks-libraries": [ { "library": ")" + o.lease_cmds + R"(" } ],
      "valid-lifetime": 3600,
      "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8", "pools": [ { "pool": "10.0.0.1 - 10.255.255.254" } ] } ],
      "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": ")" + dir + R"(/kea4.log" } ], "severity": "WARN" } ] } })");
    write_file(dir + "/kea-ca.json", R"({ "Control-agent": {
      "http-host": "127.0.0.1", "http-port": )" + std::to_string(kea_http) + R"(,
      "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": ")" + dir + R"(/kea4.sock" } },
      "loggers": [ { "name": "kea-ctrl-agent", "output_options": [ { "output": ")" + dir + R"(/kea-ca.log" } ], "severity": "WARN" } ] } })");
    kea = start({o.kea_dhcp4, "-c", dir + "/kea4.json"}, "kea4.out") && wait_for_unix(dir + "/kea4.sock", R"({"command": "version-get"})");
    if (kea && !o.skip_http)
      kea = start({o.kea_agent, "-c", dir + "/kea-ca.json"}, "kea-ca.out") &&
            wait_for_http(kea_http, R"({"command": "version-get", "service": ["dhcp4"]})");
    if (!kea) std::printf("kea: did not start (see %s)\n", dir.c_str());
  }
  bool lh_http_up = !o.skip_http && wait_for_http(lh_http, R"({"command": "version-get"})");

  // Targets. HTTP clients are per thread (keep-alive).
  std::vector<std::unique_ptr<HttpClient>> lh_clients, kea_clients;
  std::vector<Target> targets;
  targets.push_back({"bare responder (limit)", "unix", Flavour::bare,
                     [&](int, const std::string& c) { return unix_command(dir + "/bare.sock", c); }, nullptr});
  targets.push_back({"leasehold", "unix", Flavour::leasehold,
                     [&](int, const std::string& c) { return unix_command(dir + "/lh.sock", c); }, nullptr});
  if (kea)
    targets.push_back({"kea 2.2 (lease_cmds)", "unix", Flavour::kea,
                       [&](int, const std::string& c) { return unix_command(dir + "/kea4.sock", c); }, nullptr});
  auto http_target = [&](const char* name, Flavour f, std::vector<std::unique_ptr<HttpClient>>& pool, std::uint16_t port) {
    targets.push_back({name, "http", f, [&pool](int t, const std::string& c) { return pool[static_cast<std::size_t>(t)]->post(c); },
                       [&pool, port](int n) {
                         pool.clear();
                         for (int i = 0; i < n; ++i) pool.push_back(std::make_unique<HttpClient>(port));
                       }});
  };
  if (lh_http_up) http_target("leasehold", Flavour::leasehold, lh_clients, lh_http);
  if (kea && !o.skip_http) http_target("kea 2.2 control agent", Flavour::kea, kea_clients, kea_http);

  std::printf("control API benchmark (add, get, del of one lease per round; %.0f s per phase after %.0f s warm-up; "
              "2 cores, load average %s at start)\n",
              o.duration, o.warmup, load.c_str());
  std::printf("%-26s %-9s %7s %11s %8s %8s %8s\n", "target", "transport", "clients", "commands/s", "p50 ms", "p99 ms", "errors");
  std::map<std::pair<std::string, int>, double> rate;  // (name/transport, clients)
  for (int clients : o.clients) {
    std::printf("-- %d concurrent client%s\n", clients, clients == 1 ? "" : "s");
    for (auto& t : targets) {
      PhaseResult r = run_phase(t, clients, o.warmup, o.duration);
      rate[{t.name + "/" + t.transport, clients}] = r.rate;
      std::printf("%-26s %-9s %7d %11.0f %8.3f %8.3f %8llu\n", t.name.c_str(), t.transport.c_str(), clients, r.rate, r.p50_ms,
                  r.p99_ms, static_cast<unsigned long long>(r.errors));
      if (r.errors) std::printf("    first error: %s\n", r.first_error.c_str());
    }
    double bare = rate[{"bare responder (limit)/unix", clients}];
    double lh = rate[{"leasehold/unix", clients}];
    if (bare > 0) std::printf("ratio leasehold/bare (UNIX)      %5.2f   (target >= 0.90: %s)\n", lh / bare, verdict(lh / bare >= 0.90));
    if (kea && bare > 0)
      std::printf("ratio kea/bare (UNIX)            %5.2f   (reference: ~0.40 in the issue)\n", rate[{"kea 2.2 (lease_cmds)/unix", clients}] / bare);
    double lh_h = rate[{"leasehold/http", clients}], kea_h = rate[{"kea 2.2 control agent/http", clients}];
    if (lh_h > 0 && kea_h > 0)
      std::printf("ratio leasehold/kea agent (HTTP) %5.1fx  (target >= 10x: %s)\n", lh_h / kea_h, verdict(lh_h / kea_h >= 10));
  }
  for (auto& c : children) c.stop();
  if (!o.keep) std::filesystem::remove_all(dir);
  else std::printf("work dir kept: %s\n", dir.c_str());
  return 0;
}
