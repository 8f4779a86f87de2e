#include "lab.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace leasehold::testing {

CommandResult sh(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string lab_unavailable_reason() {
  if (::geteuid() != 0) return "needs root (network namespaces)";
  if (sh("command -v wireguard-go && command -v wg && command -v ip").exit_code != 0)
    return "needs wireguard-go, wireguard-tools and iproute2 (scripts/install-deps.sh)";
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "needs /dev/net/tun";
  return "";
}

NsProcess::NsProcess(std::string ns, std::vector<std::string> argv, std::string log_path)
    : ns_(std::move(ns)), argv_(std::move(argv)), log_path_(std::move(log_path)) {}

NsProcess::~NsProcess() { kill9(); }

void NsProcess::start() {
  std::ofstream(log_path_, std::ios::app) << "--- start\n";
  std::vector<std::string> full = {"ip", "netns", "exec", ns_};
  full.insert(full.end(), argv_.begin(), argv_.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (auto& a : full) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp("ip", args.data());
    ::_exit(127);
  }
}

void NsProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

int NsProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return -1;
}

void NsProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool NsProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string NsProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t NsProcess::wait_for(const std::string& text, std::chrono::seconds timeout, std::size_t skip) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::string l = log();
    if (l.size() > skip) {
      auto pos = l.find(text, skip);
      if (pos != std::string::npos) return pos + text.size();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::string::npos;
}

namespace {
std::string next_lab_id() {
  static int counter = 0;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x%c", static_cast<unsigned>(::getpid()), 'a' + (counter++ % 26));
  return buf;
}
}  // namespace

Lab::Lab(int clients, bool zero_touch) : id_(next_lab_id()) {
  auto up = sh(std::string("bash ") + WG_LAB_SCRIPT + " up " + id_ + " " + std::to_string(clients) +
               (zero_touch ? " --zero-touch" : ""));
  if (up.exit_code != 0) {
    error_ = "wg-lab.sh up failed: " + up.output;
    return;
  }
  std::istringstream lines(up.output);
  for (std::string line; std::getline(lines, line);) {
    auto eq = line.find('=');
    if (line.rfind("LAB_", 0) == 0 && eq != std::string::npos) vars_[line.substr(0, eq)] = line.substr(eq + 1);
  }
  ok_ = true;
}

Lab::~Lab() {
  for (auto& [k, c] : clients_) c->stop();
  if (server_) server_->stop();
  sh(std::string("bash ") + WG_LAB_SCRIPT + " down " + id_);
}

std::string Lab::var(const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? std::string() : it->second;
}

CommandResult Lab::in(const std::string& ns, const std::string& command) const {
  return sh("ip netns exec " + quoted(ns) + " sh -c " + quoted(command));
}

std::string Lab::server_allowed_ips(int k) const {
  auto r = in(server_ns(), "wg show " + server_if() + " allowed-ips");
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(client_pub(k), 0) != 0) continue;
    auto tab = line.find('\t');
    return tab == std::string::npos ? std::string() : line.substr(tab + 1);
  }
  return "";
}

std::vector<std::string> Lab::client_addresses(int k) const {
  auto r = in(client_ns(k), "ip -o addr show dev " + client_if(k) + " scope global | awk '{print $4}'");
  std::vector<std::string> out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Lab::write_server_config(const std::string& extra) const {
  std::string path = dir_.file("server.json");
  std::ofstream(path) << R"({ "Leasehold": { "interface": ")" << server_if() << R"(",
    "subnet4": [ { "id": 1, "subnet": "10.66.0.0/24", "pools": [ { "pool": "10.66.0.10-10.66.0.200" } ] } ],
    "subnet6": [ { "id": 2, "subnet": "fd66::/64", "pools": [ { "pool": "fd66::/64" } ] } ],
    "lease-database": { "type": "sqlite", "name": ")" << dir_.file("leases.db") << R"(" })"
                      << (extra.empty() ? "" : ",\n    " + extra) << " } }\n";
  return path;
}

NsProcess& Lab::start_server(const std::string& config_path) {
  if (!server_)
    server_ = std::make_unique<NsProcess>(
        server_ns(), std::vector<std::string>{LEASEHOLD_SERVER_PATH, "--config", config_path, "--log-level", "debug"},
        dir_.file("server.log"));
  server_->start();
  return *server_;
}

std::string control_command(const std::string& socket_path, const std::string& command) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

bool Lab::serve(const std::string& extra) {
  return start_server(write_server_config(extra)).wait_for("leasehold-server ready", std::chrono::seconds(20)) !=
         std::string::npos;
}

NsProcess& Lab::start_client(int k, const std::vector<std::string>& extra_args) {
  auto& slot = clients_[k];
  if (!slot) {
    std::vector<std::string> argv = {LEASEHOLD_CLIENT_PATH, "--interface", client_if(k), "--state-dir",
                                     dir_.file("client" + std::to_string(k)), "--log-level", "debug"};
    if (!client_link_local(k).empty()) {
      argv.push_back("--link-local");
      argv.push_back(client_link_local(k));
    }
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    slot = std::make_unique<NsProcess>(client_ns(k), argv, dir_.file("client" + std::to_string(k) + ".log"));
  }
  slot->start();
  return *slot;
}

}  // namespace leasehold::testing
