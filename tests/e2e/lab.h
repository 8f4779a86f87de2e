// End-to-end harness: a WireGuard lab of network namespaces (scripts/wg-lab.sh: a server
// and N clients, wireguard-go in each) and the real binaries run inside it. Every lab has
// a name unique to the test process and is removed, with everything running in it, when
// the object goes. Needs root, wireguard-go and wireguard-tools; tests skip otherwise.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace leasehold::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs a shell command line and captures its output.
CommandResult sh(const std::string& command);
// Single-quotes a word for the shell.
std::string quoted(const std::string& word);

// Sends one command to a control socket and returns the answer ("" on failure).
std::string control_command(const std::string& socket_path, const std::string& command);

// Why end-to-end tests cannot run here, or empty if they can.
std::string lab_unavailable_reason();

// A process started in a namespace, its output appended to a log file.
class NsProcess {
 public:
  NsProcess(std::string ns, std::vector<std::string> argv, std::string log_path);
  ~NsProcess();
  NsProcess(const NsProcess&) = delete;
  NsProcess& operator=(const NsProcess&) = delete;

  void start();
  void signal(int signo);
  // SIGTERM, then waits (SIGKILL after 10 s). Returns the exit code, or -1.
  int stop();
  void kill9();
  bool running();
  std::string log() const;
  // Waits until the log, after the `skip` first bytes, contains `text`. Returns the
  // position after the match, or npos on timeout.
  std::size_t wait_for(const std::string& text, std::chrono::seconds timeout, std::size_t skip = 0) const;
  std::size_t log_size() const { return log().size(); }

 private:
  std::string ns_;
  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
};

class Lab {
 public:
  // clients: 1 to 9. zero_touch: the server's peers get no link-local /128 from the lab.
  explicit Lab(int clients, bool zero_touch = false);
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& id() const { return id_; }
  std::string var(const std::string& name) const;  // LAB_... from wg-lab.sh
  std::string server_ns() const { return var("LAB_SERVER_NS"); }
  std::string server_if() const { return var("LAB_SERVER_IF"); }
  std::string client_ns(int k) const { return var("LAB_CLIENT" + std::to_string(k) + "_NS"); }
  std::string client_if(int k) const { return var("LAB_CLIENT" + std::to_string(k) + "_IF"); }
  std::string client_pub(int k) const { return var("LAB_CLIENT" + std::to_string(k) + "_PUB"); }
  std::string client_link_local(int k) const { return var("LAB_CLIENT" + std::to_string(k) + "_LINK_LOCAL"); }
  // Runs a shell command line inside a namespace.
  CommandResult in(const std::string& ns, const std::string& command) const;
  // The server's allowed-ips for client k's peer ("" if the peer is gone).
  std::string server_allowed_ips(int k) const;
  // Client k's global addresses on its WireGuard interface, "a/len" sorted.
  std::vector<std::string> client_addresses(int k) const;
  const TempDir& dir() const { return dir_; }

  // A server config on this lab's interface: `extra` is spliced into "Leasehold".
  std::string write_server_config(const std::string& extra) const;
  NsProcess& start_server(const std::string& config_path);
  // Writes a config with `extra`, starts the server and waits until it is ready.
  bool serve(const std::string& extra);
  NsProcess& server() { return *server_; }
  // Client k with the lab's link-local (if any) and a state dir of its own.
  NsProcess& start_client(int k, const std::vector<std::string>& extra_args = {});
  NsProcess& client(int k) { return *clients_.at(k); }

 private:
  std::string id_;
  TempDir dir_;
  std::map<std::string, std::string> vars_;
  bool ok_ = false;
  std::string error_;
  std::unique_ptr<NsProcess> server_;
  std::map<int, std::unique_ptr<NsProcess>> clients_;
};

}  // namespace leasehold::testing
