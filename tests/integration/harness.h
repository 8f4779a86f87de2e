// Test harness for integration tests: runs the real leasehold-server binary with a
// temporary config, and talks to it over loopback TCP from chosen source addresses.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace leasehold::testing {


// A deterministic, valid base64 public key for peer number n.
std::string test_key(std::uint32_t n);
// A loopback source address unique to this test process: 127.B.x.y for peer n.
std::string peer_source(std::uint32_t n);

struct RunResult {
  int exit_code;
  std::string output;  // stdout + stderr
};
RunResult run_server_command(const std::vector<std::string>& args);
// Runs a shell command line; output is stdout and stderr together.
RunResult run_command(const std::string& shell_command);

class ServerProcess {
 public:
  explicit ServerProcess(std::string config_path, std::string log_path);
  ~ServerProcess();
  // Starts the server and waits until it listens. Returns the port, or 0 on failure.
  std::uint16_t start();
  void signal(int signo);
  // SIGTERM and wait; returns the exit status.
  int stop();
  void kill9();
  bool running();
  // Waits for the server to exit by itself; its exit status, or -1 on timeout.
  int wait_exit(int timeout_ms = 10000);
  std::string log() const;
  std::uint16_t port() const { return port_; }

 private:
  std::string config_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// One request_ip connection from a chosen source address (and optionally source port).
class Client {
 public:
  // receive_buffer > 0 shrinks SO_RCVBUF before connecting (to make the server's writes partial).
  Client(const std::string& source, std::uint16_t server_port, std::uint16_t source_port = 0, int receive_buffer = 0);
  ~Client();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads one response (up to the empty line). Empty string: connection closed first.
  std::string read_response(int timeout_ms = 5000);
  // True if the server closes the connection (EOF or reset) within the timeout.
  bool closed_by_server(int timeout_ms = 5000);
  std::string request(const std::string& message) {
    return send(message) ? read_response() : std::string();
  }

 private:
  int fd_ = -1;
  std::string pending_;
};

// One connection to the control socket, as Kea's clients use it: send a command, read
// the answer until the server closes.
class ControlClient {
 public:
  explicit ControlClient(const std::string& socket_path);
  ~ControlClient();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Everything up to the server's close; empty on timeout before any byte.
  std::string read_to_close(int timeout_ms = 5000);

 private:
  int fd_ = -1;
};

// Connect, send, read the answer.
std::string control_command(const std::string& socket_path, const std::string& command, int timeout_ms = 5000);

// Parses "key=value" lines of a response into a map (first value wins; "ip" lines joined by ',').
std::map<std::string, std::string> parse_lines(const std::string& response);

// The standard test config; `extra` is spliced into the "Leasehold" object.
std::string make_config(const std::string& db_path, std::uint32_t peers, const std::string& extra = "",
                        const std::string& request_ip_extra = "", const std::string& pool4 = "10.47.0.0/17");

}  // namespace leasehold::testing
