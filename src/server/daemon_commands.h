// The control API's daemon commands, with Kea's names, argument shapes and texts:
// version-get, build-report, status-get, config-get, config-test, config-set,
// config-write, config-reload and shutdown (list-commands is the dispatcher's own; the
// spec's get-config, set-config and reload-config are aliases). The server's state is reached only
// through DaemonHooks, so the commands know nothing of the event loop and test alone.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/dispatcher.h"

namespace leasehold::server {

struct DaemonStatus {
  std::int64_t pid = 0;
  std::int64_t uptime_seconds = 0;  // since start
  std::int64_t reload_seconds = 0;  // since the configuration was last (re)loaded
  bool multi_threaded = false;      // request-ip.threads > 1
};

struct ConfigWritten {
  std::string path;
  std::uint64_t size = 0;
};

struct DaemonHooks {
  std::function<std::string()> config_path;          // the file reloads read (named in failure texts)
  std::function<nlohmann::json()> running_config;    // the "Leasehold" object in force now
  // As SIGHUP; with a file name, that file is read and, if it applies, becomes the config file.
  std::function<Status(const std::optional<std::string>& file)> reload;
  std::function<Status(const nlohmann::json& leasehold)> set;  // validate, then apply; nothing changes on error
  std::function<Result<ConfigWritten>(const std::optional<std::string>& file)> write;
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
