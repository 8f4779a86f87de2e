// The control API over HTTP(S) against the real server binary, as Kea's control agent
// behaves (shared/reference/kea/200-213): list-wrapped answers, keep-alive, basic
// authentication, Kea's HTTP-level errors, GET /metrics, TLS with client certificates,
// multi-megabyte bodies, and the real kea-shell.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace leasehold::testing {
namespace {

using nlohmann::json;

// A port for this test process: several ctest processes run at once.
std::uint16_t test_port(int k) { return static_cast<std::uint16_t>(20000 + (::getpid() % 20000) + k); }

// One plain HTTP/1.1 connection, requests written raw and answers read by Content-Length.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~HttpConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  struct Reply {
    int status = 0;
    std::string headers;
    std::string body;
  };
  Reply exchange(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& extra_headers = "Content-Type: application/json\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n") {
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (std::size_t done = 0; done < request.size();) {
      ssize_t n = ::write(fd_, request.data() + done, request.size() - done);
      if (n <= 0) return {};
      done += static_cast<std::size_t>(n);
    }
    return read_reply();
  }
  Reply read_reply() {
    Reply r;
    while (buffer_.find("\r\n\r\n") == std::string::npos)
      if (!fill()) return r;
    auto end = buffer_.find("\r\n\r\n");
    r.headers = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    r.status = std::atoi(r.headers.substr(9, 3).c_str());
    auto cl = r.headers.find("Content-Length: ");
    std::size_t length = cl == std::string::npos ? 0 : std::stoul(r.headers.substr(cl + 16));
    while (buffer_.size() < length)
      if (!fill()) return r;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }
  bool closed_by_peer() {
    char c;
    return ::read(fd_, &c, 1) == 0;
  }

 private:
  bool fill() {
    char chunk[65536];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
};

class HttpControlTest : public ::testing::Test {
 protected:
  void start(const std::string& http_socket) {
    std::ofstream(dir_.file("server.json")) << make_config(dir_.file("leases.db"), 2, R"(, "control-sockets": [ )" + http_socket + " ]");
    server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
    ASSERT_NE(server_->start(), 0) << server_->log();
  }
  std::string basic_socket() const {
    return R"({ "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": )" + std::to_string(port_) +
           R"(, "authentication": { "type": "basic", "realm": "leasehold-test", "clients": [ { "user": "admin", "password": "secret" } ] } })";
  }

  TempDir dir_;
  std::uint16_t port_ = test_port(0);
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(HttpControlTest, AnswersAreListsAndTheConnectionIsKeptAlive) {
  start(basic_socket());
  HttpConnection c(port_);
  ASSERT_TRUE(c.ok());
  auto r1 = c.exchange("POST", "/", R"({ "command": "version-get", "service": [ "dhcp4" ] })");
  EXPECT_EQ(r1.status, 200) << r1.headers;
  EXPECT_NE(r1.headers.find("Content-Type: application/json"), std::string::npos) << r1.headers;
  json j1 = json::parse(r1.body);
  ASSERT_TRUE(j1.is_array() && j1.size() == 1) << r1.body;
  EXPECT_EQ(j1[0]["result"], 0);
  // Same connection: a lease command, durable before its answer.
  auto r2 = c.exchange("POST", "/", R"({ "command": "lease4-add", "arguments": { "ip-address": "10.47.200.1", "public-key": ")" +
                                        test_key(0) + R"(" } })");
  EXPECT_EQ(json::parse(r2.body)[0]["text"], "Lease for address 10.47.200.1, subnet-id 1 added.") << r2.body;
  // Kea's agent ignores the path of a POST.
  auto r3 = c.exchange("POST", "/foo", R"({ "command": "lease4-get", "arguments": { "ip-address": "10.47.200.1" } })");
  EXPECT_EQ(json::parse(r3.body)[0]["arguments"]["public-key"], test_key(0)) << r3.body;
}

TEST_F(HttpControlTest, KeasHttpErrors) {
  start(basic_socket());
  HttpConnection c(port_);
  auto no_auth = c.exchange("POST", "/", R"({ "command": "version-get" })", "Content-Type: application/json\r\n");
  EXPECT_EQ(no_auth.status, 401);
  EXPECT_EQ(no_auth.body, R"({ "result": 401, "text": "Unauthorized" })");
  EXPECT_NE(no_auth.headers.find("WWW-Authenticate: Basic realm=\"leasehold-test\""), std::string::npos) << no_auth.headers;
  auto bad_auth = c.exchange("POST", "/", R"({ "command": "version-get" })",
                             "Content-Type: application/json\r\nAuthorization: Basic YWRtaW46d3Jvbmc=\r\n");
  EXPECT_EQ(bad_auth.status, 401);
  auto malformed = c.exchange("POST", "/", R"({ "command": "status-get", )");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body, R"({ "result": 400, "text": "Bad Request" })");
  auto wrong_type = c.exchange("POST", "/", R"({ "command": "version-get" })",
                               "Content-Type: text/plain\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n");
  EXPECT_EQ(wrong_type.status, 400);
  auto get = c.exchange("GET", "/", "");
  EXPECT_EQ(get.status, 400);
  auto d2 = c.exchange("POST", "/", R"({ "command": "status-get", "service": [ "d2" ] })");
  EXPECT_EQ(d2.body, R"([ { "result": 1, "text": "forwarding socket is not configured for the server type d2" } ])");
  auto unknown = c.exchange("POST", "/", R"({ "command": "no-such" })");
  EXPECT_EQ(json::parse(unknown.body)[0]["result"], 2);
}

TEST_F(HttpControlTest, MetricsInPrometheusFormat) {
  start(basic_socket());
  Client peer(peer_source(0), server_->port());
  ASSERT_EQ(parse_lines(peer.request("request_ip=1\n\n"))["errno"], "0");
  HttpConnection c(port_);
  auto m = c.exchange("GET", "/metrics", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << m.headers;
  for (const char* line : {"leasehold_pool_size{family=\"ipv4\",subnet=\"1\"} 32766\n",
                           "leasehold_pool_assigned{family=\"ipv4\",subnet=\"1\"} 1\n",
                           "leasehold_request_ip_requests_total{outcome=\"granted\"} 1\n",
                           "leasehold_grant_latency_seconds_count 1\n", "# TYPE leasehold_store_commit_seconds histogram\n"})
    EXPECT_NE(m.body.find(line), std::string::npos) << line << "\n" << m.body;
  auto unauthorised = c.exchange("GET", "/metrics", "", "");
  EXPECT_EQ(unauthorised.status, 401);
}

TEST_F(HttpControlTest, MultiMegabyteBodiesAndTheBodyLimit) {
  start(basic_socket());
  HttpConnection c(port_);
  json cfg = json::parse(make_config(dir_.file("leases.db"), 2));
  cfg["Leasehold"]["user-context"] = {{"blob", std::string(5 * 1024 * 1024, 'z')}};
  auto r = c.exchange("POST", "/", json{{"command", "config-test"}, {"arguments", cfg}}.dump());
  EXPECT_EQ(json::parse(r.body)[0]["result"], 0) << r.body.substr(0, 300);
  auto big = c.exchange("POST", "/", R"({ "command": "config-get" })");
  EXPECT_LT(big.body.size(), 5u * 1024 * 1024);  // config-test applies nothing
  // A declared body over the limit is refused before it is sent.
  std::string head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n"
                     "Content-Length: 100000000\r\n\r\n";
  {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).substr(0, 12), "HTTP/1.1 413");
    ::close(fd);
  }
}

TEST_F(HttpControlTest, NonLoopbackWithoutAuthenticationIsRefused) {
  std::ofstream(dir_.file("bad.json")) << make_config(dir_.file("leases.db"), 1,
                                                      R"(, "control-sockets": [ { "socket-type": "http", "socket-address": "0.0.0.0", "socket-port": 8000 } ])");
  auto r = run_server_command({"--check-config", "--config", dir_.file("bad.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("refusing to listen on non-loopback address 0.0.0.0 without authentication"), std::string::npos) << r.output;
}

TEST_F(HttpControlTest, PasswordsFromFiles) {
  std::ofstream(dir_.file("user")) << "ops\n";
  std::ofstream(dir_.file("pass")) << "s3cret\n";
  start(R"({ "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": )" + std::to_string(port_) +
        R"(, "authentication": { "type": "basic", "directory": ")" + dir_.path().string() +
        R"(", "clients": [ { "user-file": "user", "password-file": "pass" } ] } })");
  HttpConnection c(port_);
  // ops:s3cret
  auto r = c.exchange("POST", "/", R"({ "command": "status-get" })",
                      "Content-Type: application/json\r\nAuthorization: Basic b3BzOnMzY3JldA==\r\n");
  EXPECT_EQ(r.status, 200) << r.body;
}

bool have(const char* program) { return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0; }

void require_tool(const char* program) {
  if (have(program)) return;
  if (std::getenv("LEASEHOLD_E2E_REQUIRED")) FAIL() << program << " is not installed";
  GTEST_SKIP() << program << " is not installed";
}

// The real kea-shell (Debian's kea-ctrl-agent package) drives the endpoint.
TEST_F(HttpControlTest, KeaShellWorks) {
  require_tool("kea-shell");
  if (HasFatalFailure() || IsSkipped()) return;
  start(basic_socket());
  // kea-shell puts what it reads inside the braces of "arguments".
  auto r = run_command("echo '\"ip-address\": \"10.47.200.9\", \"public-key\": \"" + test_key(1) +
                       "\"' | kea-shell --host 127.0.0.1 --port " + std::to_string(port_) +
                       " --auth-user admin --auth-password secret lease4-add");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Lease for address 10.47.200.9, subnet-id 1 added."), std::string::npos) << r.output;
  auto list = run_command("echo '' | kea-shell --host 127.0.0.1 --port " + std::to_string(port_) +
                          " --auth-user admin --auth-password secret lease4-get-all");
  EXPECT_NE(list.output.find("10.47.200.9"), std::string::npos) << list.output;
}

// TLS with a client certificate required: curl with the client cert gets through, curl
// without one fails the handshake.
TEST_F(HttpControlTest, TlsWithClientCertificates) {
  require_tool("openssl");
  if (HasFatalFailure() || IsSkipped()) return;
  require_tool("curl");
  if (HasFatalFailure() || IsSkipped()) return;
  const std::string d = dir_.path().string();
  auto gen = run_command(
      "cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>&1 && "
      "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client 2>&1 && "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  start(R"({ "socket-type": "https", "socket-address": "127.0.0.1", "socket-port": )" + std::to_string(port_) +
        R"(, "trust-anchor": ")" + d + R"(/ca.pem", "cert-file": ")" + d + R"(/server.pem", "key-file": ")" + d +
        R"(/server.key", "cert-required": true })");
  const std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/";
  auto ok = run_command("curl -sS --cacert " + d + "/ca.pem --cert " + d + "/client.pem --key " + d +
                        "/client.key -H 'Content-Type: application/json' -d '{\"command\": \"status-get\"}' " + url);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("\"pid\""), std::string::npos) << ok.output;
  auto refused = run_command("curl -sS --cacert " + d + "/ca.pem -H 'Content-Type: application/json' -d '{\"command\": \"status-get\"}' " + url);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
}

}  // namespace
}  // namespace leasehold::testing
