// leasehold-client: keeps one request_ip lease for a WireGuard interface (spec "Single
// lease"). Thin: parses the command line, derives the link-local address from the interface's
// public key when none is given, and hands over to client::run_client.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "client/client.h"
#include "wireguard/device.h"
#include "wireguard/link_local.h"

namespace {

using namespace leasehold;

// The zero-touch address: the same derivation the server applies to the peer's key.
Result<net::Address> derived_link_local(const std::string& ifname) {
  auto device = wireguard::open_device(ifname);
  if (!device) return device.error();
  auto info = (*device)->get();
  if (!info) return info.error();
  if (!info->public_key) return make_error(Errc::not_found, "the interface has no private key yet");
  return wireguard::derived_link_local(*info->public_key);
}

Result<net::Address> ipv6_option(const std::string& name, const std::string& text) {
  auto address = net::Address::parse(text);
  if (!address || address->is_v4()) return make_error(Errc::invalid_argument, name + " \"" + text + "\" is not an IPv6 address");
  return *address;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leasehold-client: keep one request_ip lease for a WireGuard interface"};
  client::ClientOptions options;
  std::string link_local, server = "fe80::", on_stop = "release", log_level = "info";
  std::optional<std::uint32_t> leasetime;
  bool no_ipv4 = false, no_ipv6 = false, version = false;
  app.add_option("-i,--interface", options.ifname, "WireGuard interface to keep a lease for");
  app.add_option("--link-local", link_local, "own link-local address (default: derived from the interface's key)");
  app.add_option("--server", server, "server address on the interface")->capture_default_str();
  app.add_option("--port", options.port, "server port")->capture_default_str();
  app.add_option("--source-port", options.source_port, "own source port (the server requires 970)")
      ->capture_default_str();
  app.add_option("--state-dir", options.state_dir, "where client-<interface>.json is kept")->capture_default_str();
  app.add_option("--hook", options.hook, "program run on every lease change (LEASEHOLD_* environment)");
  app.add_option("--on-stop", on_stop, "on SIGTERM/SIGINT: release the lease, or keep it for the next start")
      ->check(CLI::IsMember({"release", "keep"}))
      ->capture_default_str();
  app.add_option("--leasetime", leasetime, "lease time to ask for, in seconds (a hint)")
      ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{4294967295}));
  app.add_flag("--no-ipv4", no_ipv4, "do not ask for an IPv4 address");
  app.add_flag("--no-ipv6", no_ipv6, "do not ask for an IPv6 address");
  app.add_option("-l,--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("-V,--version", version, "print the version and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::cout << "leasehold-client " << LEASEHOLD_VERSION << "\n";
    return 0;
  }
  if (options.ifname.empty() || !wireguard::valid_interface_name(options.ifname)) {
    std::cerr << "leasehold-client: --interface NAME is required (a valid interface name)\n";
    return 2;
  }
  if (no_ipv4 && no_ipv6) {
    std::cerr << "leasehold-client: --no-ipv4 and --no-ipv6 leave nothing to ask for\n";
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("leasehold-client"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto server_address = ipv6_option("--server", server);
  if (!server_address) {
    std::cerr << "leasehold-client: " << server_address.error().message << "\n";
    return 2;
  }
  auto own = link_local.empty() ? derived_link_local(options.ifname) : ipv6_option("--link-local", link_local);
  if (!own) {
    std::cerr << "leasehold-client: " << (link_local.empty() ? "link-local address of " + options.ifname + ": " : "")
              << own.error().message << "\n";
    return link_local.empty() ? 1 : 2;
  }
  options.server = *server_address;
  options.link_local = *own;
  options.on_stop = on_stop == "keep" ? client::StopMode::keep : client::StopMode::release;
  options.leasetime_hint = leasetime;
  options.want_ipv4 = !no_ipv4;
  options.want_ipv6 = !no_ipv6;
  return client::run_client(options);
}
