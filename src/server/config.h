// Server configuration: the "Leasehold" JSON file parsed into plain structs, with every
// check that can be made without touching the system. Errors name the JSON path of the
// offending key and say what was expected. Pure: no I/O beyond reading the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "lease/engine.h"
#include "lease/public_key.h"
#include "net/address.h"
#include "options/options.h"
#include "store/lease_store.h"

namespace leasehold::server {

struct ListenEndpoint {
  net::Address address;
  std::string zone;  // interface name for link-local IPv6 ("[fe80::%wg0]:970"), else empty
  std::uint16_t port = 970;
  std::string to_string() const;
  friend bool operator==(const ListenEndpoint&, const ListenEndpoint&) = default;
};

struct RequestIpConfig {
  std::vector<ListenEndpoint> listen;
  std::uint16_t require_source_port = 970;  // 0: any source port
  std::uint32_t idle_timeout_seconds = 30;
  std::uint32_t max_connections = 1024;  // for the whole server
  std::uint32_t threads = 1;             // event-loop threads sharing the listening ports
};

struct PeerEntry {
  lease::PublicKey key;
  net::Address source;
};

// Serving the peers of a WireGuard interface ("interface" and "wireguard" in the file).
struct WireGuardConfig {
  std::string interface;                            // empty: no WireGuard (static peers only)
  std::string backend = "auto";                     // auto, uapi, netlink
  std::string uapi_socket_dir = "/var/run/wireguard";
  bool zero_touch = false;                          // add every peer's derived link-local /128
  bool pools_from_routes = false;                   // the interface's routes become pools
  std::uint32_t refresh_interval_seconds = 10;      // peer directory re-read
  bool enabled() const { return !interface.empty(); }
};

// Kea's "control-socket": the UNIX socket the control API listens on.
struct ControlSocketConfig {
  std::string socket_type = "unix";  // the only type (Kea's HTTP is the control agent's)
  std::string socket_name;           // path; empty: no control socket
  bool enabled() const { return !socket_name.empty(); }
  friend bool operator==(const ControlSocketConfig&, const ControlSocketConfig&) = default;
};

// An HTTP(S) control socket, Kea 2.7's shape for a server's own HTTP control channel
// (an entry of "control-sockets" with "socket-type" "http" or "https").
struct BasicAuthClient {
  std::string user;
  std::string password;
  friend bool operator==(const BasicAuthClient&, const BasicAuthClient&) = default;
};

struct HttpControlConfig {
  std::string address = "127.0.0.1";     // socket-address
  std::uint16_t port = 8000;              // socket-port; 0: any free port (tests)
  std::string realm = "leasehold";        // authentication.realm
  std::vector<BasicAuthClient> clients;   // empty: no authentication (loopback only)
  std::string trust_anchor;               // CA file or directory for client certificates
  std::string cert_file, key_file;        // TLS when set
  bool cert_required = true;              // with a trust anchor: clients must present a valid cert
  bool tls() const { return !cert_file.empty(); }
  friend bool operator==(const HttpControlConfig&, const HttpControlConfig&) = default;
};

// A leasequery TCP listener (DHCPv6 or DHCPv4); the key names follow Kea's leasequery hook.
struct LeasequeryListenerConfig {
  bool enabled = false;                        // the section is present
  std::string address;                         // lease-query-ip
  std::uint16_t port = 0;                      // lease-query-tcp-port (547 / 67 by default; 0: any free port)
  std::vector<net::Prefix> requesters;         // who may query (addresses or prefixes); others are closed at once
  std::uint32_t max_requester_connections = 10;  // per requester address (RFC 5460 BULK_LQ_MAX_CONNS)
  std::uint32_t max_concurrent_queries = 4;      // per connection
  std::uint32_t idle_timeout_seconds = 60;       // active: keepalive after this much silence (ACTIVE_LQ_IDLE_TIMEOUT)
  std::uint32_t send_timeout_seconds = 120;      // a requestor not reading this long is dropped (ACTIVE_LQ_SEND_TIMEOUT)
  std::uint32_t receive_timeout_seconds = 120;   // a query must arrive whole within this (ACTIVE_LQ_RCV_TIMEOUT)
  friend bool operator==(const LeasequeryListenerConfig&, const LeasequeryListenerConfig&) = default;
};

struct LeasequeryConfig {
  store::JournalRetention journal;             // "journal": max-entries, max-age
  std::uint32_t stream_keepalive_seconds = 15; // "json-stream": keepalive-interval
  LeasequeryListenerConfig dhcp6;              // "dhcp6"
  LeasequeryListenerConfig dhcp4;              // "dhcp4"
};

struct ServerConfig {
  RequestIpConfig request_ip;
  ControlSocketConfig control_socket;
  std::vector<HttpControlConfig> http_control;
  WireGuardConfig wireguard;
  lease::Policy policy;
  options::OptionSet options;  // "option-def", and "option-data" at every scope
  std::vector<PeerEntry> peers;
  store::StoreConfig lease_database;
  LeasequeryConfig leasequery;
  std::string log_level = "info";
};

// Parses the configuration text (JSON with //, /* */ and # comments).
Result<ServerConfig> parse_config(std::string_view text);
// The same from the "Leasehold" object itself (config-set, and commands that edit the
// running configuration).
Result<ServerConfig> parse_config_object(const nlohmann::json& leasehold);
// The "Leasehold" object of a configuration text, keys as written (nothing filled in):
// what config-get shows and config-write writes.
Result<nlohmann::json> parse_config_document(std::string_view text);
Result<ServerConfig> load_config_file(const std::string& path);
// The file's text, as load_config_file reads it (for config-get, which shows it back).
Result<std::string> read_config_file(const std::string& path);

// Parses "127.0.0.1:9700", "[::1]:9700" or "[fe80::%wg0]:970".
Result<ListenEndpoint> parse_endpoint(std::string_view text);

// Removes '#' comments (outside strings) so nlohmann's parser sees //-style JSON only.
std::string strip_hash_comments(std::string_view text);

}  // namespace leasehold::server
