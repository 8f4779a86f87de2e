// leasehold-server: leases addresses to WireGuard/Anode peers over request_ip.
// Thin: parses the command line and the config, then hands over to server::Server.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "server/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  CLI::App app{"leasehold-server: lease IP addresses to WireGuard and Anode peers"};
  std::string config_path;
  bool check_only = false;
  bool version = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "configuration file (JSON, \"Leasehold\" top-level key)");
  app.add_flag("-t,--check-config", check_only, "check the configuration and exit (0 valid, 1 invalid)");
  app.add_flag("-V,--version", version, "print the version and exit");
  app.add_option("-l,--log-level", log_level, "override the configured log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::cout << "leasehold-server " << LEASEHOLD_VERSION << "\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "leasehold-server: --config FILE is required\n";
    return 1;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("leasehold"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  auto text = leasehold::server::read_config_file(config_path);
  auto config = text ? leasehold::server::parse_config(*text) : leasehold::Result<leasehold::server::ServerConfig>(text.error());
  if (!config) {
    std::cerr << "leasehold-server: " << config_path << ": " << config.error().message << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << config_path << ": configuration OK\n";
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(log_level.empty() ? config->log_level : log_level));
  leasehold::server::Server server(std::move(*config), config_path, std::move(*text));
  return server.run();
}
