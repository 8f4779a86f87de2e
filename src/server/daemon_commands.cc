#include "server/daemon_commands.h"

#include <boost/version.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/version.h>
#include <sqlite3.h>

#include <memory>

#include "server/config.h"

#ifndef LEASEHOLD_VERSION
#error "LEASEHOLD_VERSION must be defined by the build"
#endif
#ifndef LEASEHOLD_BUILD_TYPE
#define LEASEHOLD_BUILD_TYPE "unknown"
#endif

namespace leasehold::server {

using nlohmann::json;
using control::answer;
using control::answer_arguments;
using control::Args;
using control::Response;
using control::ResultCode;

namespace {

std::string linked_with() {
  return "Boost " + std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) + "\n" +
         "nlohmann_json " + std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
         std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." + std::to_string(NLOHMANN_JSON_VERSION_PATCH) + "\n" +
         "spdlog " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
         std::to_string(SPDLOG_VER_PATCH);
}

std::string build_report() {
  return "leasehold build report\n"
         "Package:\n  Name: leasehold\n  Version: " LEASEHOLD_VERSION "\n"
         "Build:\n  Build type: " LEASEHOLD_BUILD_TYPE "\n"
         "  C++ compiler: " __VERSION__ "\n"
         "  C++ standard: " + std::to_string(__cplusplus) + "\n" +
         "Linked with:\n  " + linked_with() + "\n" +
         "Database:\n  SQLite " + sqlite3_libversion();
}

// The "Leasehold" object of config-test's and config-set's arguments, with Kea's texts
// ("Dhcp4" there, "Leasehold" here).
Result<const json*> leasehold_argument(const Args& args) {
  if (!args.present()) return make_error(Errc::invalid_argument, std::string(control::kMissingArguments));
  const json* leasehold = args.find("Leasehold");
  if (leasehold == nullptr) return make_error(Errc::invalid_argument, "Missing mandatory 'Leasehold' parameter.");
  if (!leasehold->is_object()) return make_error(Errc::invalid_argument, "'Leasehold' parameter expected to be a map.");
  return leasehold;
}

Response config_test(const Args& args) {
  auto leasehold = leasehold_argument(args);
  if (!leasehold) return control::error_response(leasehold.error());
  // The parser takes text; a replacing dump cannot throw on strings it did not write.
  std::string text = json{{"Leasehold", **leasehold}}.dump(-1, ' ', false, json::error_handler_t::replace);
  auto parsed = parse_config(text);
  if (!parsed) return answer(ResultCode::error, parsed.error().message);
  return answer(ResultCode::success, std::string(kConfigTestOk));
}

Response config_set(const DaemonHooks& hooks, const Args& args) {
  auto leasehold = leasehold_argument(args);
  if (!leasehold) return control::error_response(leasehold.error());
  if (auto st = hooks.set(**leasehold); !st) return answer(ResultCode::error, st.error().message);
  return answer(ResultCode::success, std::string(kConfigReloadOk));
}

Response config_write(const DaemonHooks& hooks, const Args& args) {
  auto file = args.optional_string("filename");
  if (!file) return control::error_response(file.error());
  if (*file && (*file)->empty()) return answer(ResultCode::error, "Unable to determine filename");
  auto written = hooks.write(*file);
  if (!written) return answer(ResultCode::error, written.error().message);
  return answer(ResultCode::success, "Configuration written to " + written->path + " successful",
                json{{"filename", written->path}, {"size", written->size}});
}

Response config_reload(const DaemonHooks& hooks, const Args& args) {
  auto file = args.optional_string("filename");
  if (!file) return control::error_response(file.error());
  std::string path = file->value_or(hooks.config_path());
  if (auto st = hooks.reload(*file); !st)
    return answer(ResultCode::error, "Config reload failed: configuration error using file '" + path + "': " + st.error().message);
  return answer(ResultCode::success, std::string(kConfigReloadOk));
}

Response shutdown(const DaemonHooks& hooks, const Args& args) {
  int exit_code = 0;
  if (const json* v = args.find("exit-value"); v != nullptr) {
    if (!v->is_number_integer()) return answer(ResultCode::error, "parameter 'exit-value' is not an integer");
    auto value = args.get_int("exit-value", 0, 255);  // what a process can exit with
    if (!value) return control::error_response(value.error());
    exit_code = static_cast<int>(*value);
  }
  hooks.shutdown(exit_code);
  return answer(ResultCode::success, std::string(kShuttingDown));
}

Response status_get(const DaemonHooks& hooks) {
  DaemonStatus s = hooks.status();
  return answer_arguments(ResultCode::success, json{{"pid", s.pid},
                                                    {"uptime", s.uptime_seconds},
                                                    {"reload", s.reload_seconds},
                                                    {"multi-threading-enabled", s.multi_threaded}});
}

}  // namespace

std::string version_text() { return "leasehold " LEASEHOLD_VERSION; }

std::string extended_version_text() {
  return version_text() + "\nlinked with:\n" + linked_with() + "\ndatabase:\nSQLite " + sqlite3_libversion();
}

Status register_daemon_commands(control::Dispatcher& dispatcher, DaemonHooks hooks) {
  auto h = std::make_shared<const DaemonHooks>(std::move(hooks));
  std::pair<const char*, control::Handler> commands[] = {
      {"version-get",
       [](const Args&) {
         return answer(ResultCode::success, version_text(), json{{"extended", extended_version_text()}});
       }},
      {"build-report", [](const Args&) { return answer(ResultCode::success, build_report()); }},
      {"status-get", [h](const Args&) { return status_get(*h); }},
      {"config-get", [h](const Args&) { return answer_arguments(ResultCode::success, json{{"Leasehold", h->running_config()}}); }},
      {"config-test", [](const Args& args) { return config_test(args); }},
      {"config-set", [h](const Args& args) { return config_set(*h, args); }},
      {"config-write", [h](const Args& args) { return config_write(*h, args); }},
      {"config-reload", [h](const Args& args) { return config_reload(*h, args); }},
      {"shutdown", [h](const Args& args) { return shutdown(*h, args); }},
  };
  for (auto& [name, handler] : commands)
    if (auto st = dispatcher.add(name, std::move(handler)); !st) return st;
  // The spec's names (A.3-A.5).
  for (auto [alias, name] : {std::pair{"get-config", "config-get"}, {"set-config", "config-set"}, {"reload-config", "config-reload"}})
    if (auto st = dispatcher.add_alias(alias, name); !st) return st;
  return {};
}

}  // namespace leasehold::server
