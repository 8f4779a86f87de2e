#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef LEASEHOLD_SERVER_PATH
#error "LEASEHOLD_SERVER_PATH must point at the leasehold-server binary"
#endif

namespace leasehold::testing {

std::string test_key(std::uint32_t n) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  // 43 base64 characters carry 258 bits; the last must encode 2 bits + 4 zero bits.
  std::string s(44, 'A');
  std::uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < 42; ++i) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    s[static_cast<std::size_t>(i)] = alphabet[(x >> 40) & 63];
  }
  s[42] = alphabet[(n & 3) << 4];
  s[43] = '=';
  return s;
}

std::string peer_source(std::uint32_t n) {
  // Second octet from the pid so that concurrently running test binaries never share
  // sources; the last octet avoids 0 and 255.
  unsigned b = 16 + static_cast<unsigned>(getpid()) % 200;
  unsigned hi = n / 250, lo = n % 250 + 1;
  return "127." + std::to_string(b) + "." + std::to_string(hi) + "." + std::to_string(lo);
}

RunResult run_server_command(const std::vector<std::string>& args) {
  std::string cmd = LEASEHOLD_SERVER_PATH;
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_command(cmd);
}

RunResult run_command(const std::string& shell_command) {
  std::string cmd = "(" + shell_command + ") 2>&1";
  RunResult r{-1, {}};
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
  int status = pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ServerProcess::ServerProcess(std::string config_path, std::string log_path)
    : config_path_(std::move(config_path)), log_path_(std::move(log_path)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) kill9();
}

std::uint16_t ServerProcess::start() {
  std::ofstream(log_path_, std::ios::app) << "--- start\n";
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    execl(LEASEHOLD_SERVER_PATH, LEASEHOLD_SERVER_PATH, "--config", config_path_.c_str(), "--log-level", "debug",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the "listening on" line after our start marker.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = log();
    auto start = text.rfind("--- start");
    auto pos = text.find("listening on ", start);
    auto ready = text.find("leasehold-server ready", start);
    if (pos != std::string::npos && ready != std::string::npos) {
      auto colon = text.find('\n', pos);
      auto line = text.substr(pos, colon - pos);
      port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      return port_;
    }
    if (!running()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

void ServerProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ServerProcess::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Client::Client(const std::string& source, std::uint16_t server_port, std::uint16_t source_port, int receive_buffer) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (receive_buffer > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(source_port);
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(server_port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

bool Client::send(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::string Client::read_response(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto end = pending_.find("\n\n");
    if (end != std::string::npos) {
      std::string msg = pending_.substr(0, end + 2);
      pending_.erase(0, end + 2);
      return msg;
    }
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return {};
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return {};
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return {};
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

bool Client::closed_by_server(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return false;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

std::map<std::string, std::string> parse_lines(const std::string& response) {
  std::map<std::string, std::string> out;
  std::istringstream in(response);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "ip" && out.count(k)) out[k] += "," + v;
    else out.emplace(k, v);
  }
  return out;
}

ControlClient::ControlClient(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool ControlClient::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string ControlClient::read_to_close(int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return out;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string control_command(const std::string& socket_path, const std::string& command, int timeout_ms) {
  ControlClient c(socket_path);
  if (!c.connected() || !c.send(command)) return {};
  return c.read_to_close(timeout_ms);
}

std::string make_config(const std::string& db_path, std::uint32_t peers, const std::string& extra,
                        const std::string& request_ip_extra, const std::string& pool4) {
  std::string peer_list;
  for (std::uint32_t i = 0; i < peers; ++i) {
    if (i) peer_list += ",\n";
    peer_list += "{ \"public-key\": \"" + test_key(i) + "\", \"source\": \"" + peer_source(i) + "\" }";
  }
  // LEASEHOLD_TEST_THREADS runs the same tests against several request threads.
  const char* threads = std::getenv("LEASEHOLD_TEST_THREADS");
  std::string threads_key = threads ? std::string(", \"threads\": ") + threads : std::string();
  return R"({ "Leasehold": {
  "request-ip": { "listen": ["127.0.0.1:0"], "require-source-port": 0)" + threads_key + request_ip_extra + R"( },
  "valid-lifetime": 3600, "min-valid-lifetime": 60, "max-valid-lifetime": 86400,
  "subnet4": [ { "id": 1, "subnet": "10.47.0.0/16", "pools": [ { "pool": ")" + pool4 + R"(" } ] } ],
  "subnet6": [ { "id": 1, "subnet": "fd00:47::/64", "pools": [ { "pool": "fd00:47::/64" } ] } ],
  "peers": [ )" + peer_list + R"( ],
  "lease-database": { "type": "sqlite", "name": ")" + db_path + "\" }" + extra + "\n} }\n";
}

}  // namespace leasehold::testing
