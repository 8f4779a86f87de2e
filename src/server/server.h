// Server: puts the parts together and runs them: opens the store, loads leases into the
// engine, starts the persister, the request_ip listeners, the expiry timer and the signal
// handlers (SIGTERM/SIGINT: drain and stop; SIGHUP: reload the config file), and the
// control socket with the daemon commands (the same reload and drain, Kea's way).
// Everything but the persister's store thread runs on one event-loop thread.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "server/config.h"

namespace leasehold::server {

class Server {
 public:
  // `config_text` is the file's text `config` was parsed from (config-get shows it).
  Server(ServerConfig config, std::string config_path, std::string config_text = {});
  ~Server();
  // Runs until SIGTERM/SIGINT or the shutdown command. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leasehold::server
