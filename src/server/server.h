// Server: puts the parts together and runs them: opens the store, loads leases into the
// engine, starts the persister, the request_ip listeners, the expiry timer and the signal
// handlers (SIGTERM/SIGINT: drain and stop; SIGHUP: reload the config file).
// Everything but the persister's store thread runs on one event-loop thread.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "server/config.h"

namespace leasehold::server {

class Server {
 public:
  Server(ServerConfig config, std::string config_path);
  ~Server();
  // Runs until SIGTERM/SIGINT. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leasehold::server
