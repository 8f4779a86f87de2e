// The control API's daemon commands, with Kea's names, argument shapes and texts:
// version-get, build-report, status-get, config-get, config-test, config-reload and
// shutdown (list-commands is the dispatcher's own). The server's state is reached only
// through DaemonHooks, so the commands know nothing of the event loop and test alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "control/dispatcher.h"

namespace leasehold::server {

struct DaemonStatus {
  std::int64_t pid = 0;
  std::int64_t uptime_seconds = 0;  // since start
  std::int64_t reload_seconds = 0;  // since the configuration was last (re)loaded
  bool multi_threaded = false;      // request-ip.threads > 1
};

struct DaemonHooks {
  std::string config_path;                      // named in config-reload's failure text
  std::function<std::string()> config_text;    // the running configuration file's text
  std::function<Status()> reload;              // as SIGHUP
  std::function<void(int exit_code)> shutdown;  // called before the answer is written; must not stop at once
  std::function<DaemonStatus()> status;
};

Status register_daemon_commands(control::Dispatcher& dispatcher, DaemonHooks hooks);

// Texts, Kea's where Kea has one (ctrl_dhcp4_srv.cc), for tests and documentation.
inline constexpr std::string_view kConfigTestOk =
    "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.";
inline constexpr std::string_view kConfigReloadOk = "Configuration successful.";
inline constexpr std::string_view kShuttingDown = "Shutting down.";

std::string version_text();           // "leasehold 0.1.0"
std::string extended_version_text();  // version, then what it is linked with

}  // namespace leasehold::server
