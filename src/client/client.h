// leasehold-client's main loop: keeps one lease for one interface. Composes the lease keeper
// (every decision), netif (the interface's addresses), exchange (the protocol), the state file
// and the hook runner, and waits in one poll loop on a signalfd (SIGTERM, SIGINT), the hook's
// pidfd and the next deadline. Single-threaded; owns the process's signal mask while it runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "client/lease_keeper.h"
#include "net/address.h"

namespace leasehold::client {

struct ClientOptions {
  std::string ifname;
  net::Address link_local;  // the client's own fe80::/64 address on the interface
  net::Address server = net::Address::v6(net::uint128(0xfe80) << 112);
  std::uint16_t port = 970;
  std::uint16_t source_port = 970;
  std::string state_dir = "/var/lib/leasehold";
  std::string hook;  // empty: none
  StopMode on_stop = StopMode::release;
  std::optional<std::uint32_t> leasetime_hint;
  bool want_ipv4 = true;
  bool want_ipv6 = true;
  std::chrono::milliseconds exchange_timeout{5000};  // a dead server costs at most this
  std::chrono::milliseconds release_timeout{3000};   // on the way out
  std::chrono::milliseconds check_interval{5000};    // addresses lost with the link come back
};

// Runs until SIGTERM or SIGINT, then releases or keeps the lease (options.on_stop). Returns
// the process's exit code. REQUIRES: link_local and server are IPv6 addresses.
int run_client(const ClientOptions& options);

}  // namespace leasehold::client
