#include "server/config.h"

#include <sys/un.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "wireguard/device.h"
#include "wireguard/link_local.h"

namespace leasehold::server {

using nlohmann::json;

namespace {

// Walks one JSON object, remembering its path for messages and which keys were read,
// so that unknown (misspelt) keys are reported instead of silently ignored.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  std::string at(std::string_view key) const { return path_ + "." + std::string(key); }
  bool has(const char* key) { seen_.insert(key); return object_.contains(key); }
  const json& get(const char* key) { seen_.insert(key); return object_.at(key); }

  Status check_unknown() const {
    for (const auto& [key, value] : object_.items()) {
      if (seen_.count(key) || key == "comment" || key == "user-context") continue;
      return make_error(Errc::invalid_argument, at(key) + ": unknown parameter");
    }
    return {};
  }

  // Reads an unsigned integer in [min, max] into `out` if present.
  template <class T>
  Status number(const char* key, T& out, std::uint64_t min, std::uint64_t max) {
    if (!has(key)) return {};
    const json& v = get(key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      return make_error(Errc::invalid_argument, at(key) + ": expected a non-negative integer, got " + brief(v));
    auto n = v.get<std::uint64_t>();
    if (n < min || n > max)
      return make_error(Errc::invalid_argument, at(key) + ": " + std::to_string(n) + " is outside [" +
                                                    std::to_string(min) + ", " + std::to_string(max) + "]");
    out = static_cast<T>(n);
    return {};
  }

  Status string(const char* key, std::string& out, bool required) {
    if (!has(key)) {
      if (required) return make_error(Errc::invalid_argument, at(key) + ": required");
      return {};
    }
    const json& v = get(key);
    if (!v.is_string()) return make_error(Errc::invalid_argument, at(key) + ": expected a string, got " + brief(v));
    out = v.get<std::string>();
    return {};
  }

  Status boolean(const char* key, bool& out) {
    if (!has(key)) return {};
    const json& v = get(key);
    if (!v.is_boolean()) return make_error(Errc::invalid_argument, at(key) + ": expected true or false, got " + brief(v));
    out = v.get<bool>();
    return {};
  }

  static std::string brief(const json& v) {
    std::string s = v.dump();
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return s;
  }

 private:
  const json& object_;
  std::string path_;
  std::set<std::string, std::less<>> seen_;
};

Status expect_object(const json& v, const std::string& path) {
  if (!v.is_object()) return make_error(Errc::invalid_argument, path + ": expected an object, got " + ObjectReader::brief(v));
  return {};
}

Status expect_array(const json& v, const std::string& path) {
  if (!v.is_array()) return make_error(Errc::invalid_argument, path + ": expected a list, got " + ObjectReader::brief(v));
  return {};
}

// Calls parse(reader, item_path) for each object of a JSON list, then rejects unknown keys.
template <class F>
Status for_each_object(const json& list, const std::string& path, F&& parse) {
  if (auto st = expect_array(list, path); !st) return st;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    if (auto st = expect_object(list[i], item); !st) return st;
    ObjectReader r(list[i], item);
    if (auto st = parse(r, item); !st) return st;
    if (auto st = r.check_unknown(); !st) return st;
  }
  return {};
}

Error value_error(const std::string& path, const std::string& value, const std::string& why) {
  std::string shown = value.size() > 60 ? value.substr(0, 57) + "..." : value;
  return make_error(Errc::invalid_argument, path + ": \"" + shown + "\" " + why);
}

#define LH_TRY(expr)                    \
  do {                                  \
    if (auto st_ = (expr); !st_) return st_; \
  } while (0)

Status parse_listen(ObjectReader& r, RequestIpConfig& out) {
  const json& listen = r.get("listen");
  LH_TRY(expect_array(listen, r.at("listen")));
  if (listen.empty()) return make_error(Errc::invalid_argument, r.at("listen") + ": needs at least one address:port");
  for (std::size_t i = 0; i < listen.size(); ++i) {
    std::string p = r.at("listen") + "[" + std::to_string(i) + "]";
    if (!listen[i].is_string()) return make_error(Errc::invalid_argument, p + ": expected \"address:port\"");
    auto ep = parse_endpoint(listen[i].get<std::string>());
    if (!ep) return value_error(p, listen[i].get<std::string>(), "is not address:port: " + ep.error().message);
    out.listen.push_back(*ep);
  }
  return {};
}

// With a WireGuard interface, listen defaults to [fe80::%<interface>]:970.
Status parse_request_ip(const json& v, const std::string& path, const std::string& interface,
                        RequestIpConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  if (r.has("listen")) {
    LH_TRY(parse_listen(r, out));
  } else if (interface.empty()) {
    return make_error(Errc::invalid_argument, r.at("listen") + ": required (or set \"interface\")");
  }
  LH_TRY(r.number("require-source-port", out.require_source_port, 0, 65535));
  LH_TRY(r.number("idle-timeout", out.idle_timeout_seconds, 1, 86400));
  LH_TRY(r.number("max-connections", out.max_connections, 1, 1'000'000));
  LH_TRY(r.number("threads", out.threads, 1, 64));
  return r.check_unknown();
}

// "interface" names the WireGuard interface; "wireguard" tunes how it is used.
Status parse_wireguard(ObjectReader& top, WireGuardConfig& out) {
  LH_TRY(top.string("interface", out.interface, false));
  if (top.has("interface") && !wireguard::valid_interface_name(out.interface))
    return value_error(top.at("interface"), out.interface, "is not an interface name (1 to 15 bytes, no '/', ':' or spaces)");
  if (!top.has("wireguard")) return {};
  const std::string path = top.at("wireguard");
  if (!out.enabled()) return make_error(Errc::invalid_argument, path + ": needs \"interface\"");
  LH_TRY(expect_object(top.get("wireguard"), path));
  ObjectReader r(top.get("wireguard"), path);
  LH_TRY(r.string("backend", out.backend, false));
  if (out.backend != "auto" && out.backend != "uapi" && out.backend != "netlink")
    return value_error(r.at("backend"), out.backend, "is not one of auto, uapi, netlink");
  LH_TRY(r.string("uapi-socket-dir", out.uapi_socket_dir, false));
  LH_TRY(r.boolean("zero-touch", out.zero_touch));
  LH_TRY(r.boolean("pools-from-routes", out.pools_from_routes));
  LH_TRY(r.number("refresh-interval", out.refresh_interval_seconds, 1, 86400));
  return r.check_unknown();
}

Status parse_pool(ObjectReader& r, net::Family family, const net::Prefix& subnet, std::vector<lease::PoolDef>& pools) {
  std::string text;
  LH_TRY(r.string("pool", text, true));
  auto pool = lease::PoolDef::parse(text);
  if (!pool) return value_error(r.at("pool"), text, "is not a prefix or range: " + pool.error().message);
  const net::Range& range = pool->range;
  if (range.first.family() != family)
    return value_error(r.at("pool"), text, std::string("is not ") + net::family_name(family));
  if (!subnet.contains(range.first) || !subnet.contains(range.last))
    return value_error(r.at("pool"), text, "is outside subnet " + subnet.to_string());
  pools.push_back(*pool);
  return {};
}

// "option-data" of one scope, against the definitions read so far.
Result<std::vector<options::OptionValue>> parse_option_data(ObjectReader& r, const options::OptionSet& opts, const std::string& space) {
  if (!r.has("option-data")) return std::vector<options::OptionValue>{};
  return options::parse_values(r.get("option-data"), r.at("option-data"), opts.definitions, space);
}

Status parse_subnets(const json& list, const std::string& path, net::Family family, lease::Policy& policy,
                     options::OptionSet& opts) {
  return for_each_object(list, path, [&](ObjectReader& r, const std::string&) -> Status {
    lease::SubnetSpec s;
    if (!r.has("id")) return make_error(Errc::invalid_argument, r.at("id") + ": required");
    LH_TRY(r.number("id", s.id, 1, 0xffffffffu));
    std::string text;
    LH_TRY(r.string("subnet", text, true));
    auto prefix = net::Prefix::parse(text);
    if (!prefix) return value_error(r.at("subnet"), text, "is not a prefix: " + prefix.error().message);
    if (prefix->family() != family)
      return value_error(r.at("subnet"), text, std::string("is not an ") + net::family_name(family) + " prefix");
    s.prefix = *prefix;
    if (r.has("pools"))
      LH_TRY(for_each_object(r.get("pools"), r.at("pools"), [&](ObjectReader& pr, const std::string&) {
        return parse_pool(pr, family, s.prefix, s.pools);
      }));
    auto values = parse_option_data(r, opts, family == net::Family::v4 ? "dhcp4" : "dhcp6");
    if (!values) return values.error();
    if (!values->empty()) opts.subnet[{family == net::Family::v4 ? 4 : 6, s.id}] = std::move(*values);
    policy.subnets.push_back(std::move(s));
    return {};
  });
}

Result<lease::PublicKey> parse_key(ObjectReader& r) {
  std::string text;
  if (auto st = r.string("public-key", text, true); !st) return st.error();
  auto key = lease::PublicKey::from_base64(text);
  // The key is public, but keep messages short: do not echo it.
  if (!key) return make_error(Errc::invalid_argument, r.at("public-key") + ": " + key.error().message);
  return *key;
}

Status parse_reservation(ObjectReader& r, const std::string& path, lease::Policy& policy, options::OptionSet& opts) {
  auto key = parse_key(r);
  if (!key) return key.error();
  lease::ReservationSpec res;
  res.key = *key;
  std::vector<std::pair<std::string, json>> addresses;  // (path, value)
  if (r.has("ip-address")) addresses.emplace_back(r.at("ip-address"), r.get("ip-address"));
  if (r.has("ip-addresses")) {
    const json& v = r.get("ip-addresses");
    LH_TRY(expect_array(v, r.at("ip-addresses")));
    for (std::size_t j = 0; j < v.size(); ++j) addresses.emplace_back(r.at("ip-addresses") + "[" + std::to_string(j) + "]", v[j]);
  }
  for (const auto& [ap, value] : addresses) {
    if (!value.is_string()) return make_error(Errc::invalid_argument, ap + ": expected a string");
    std::string text = value.get<std::string>();
    auto a = net::Address::parse(text);
    if (!a) return value_error(ap, text, "is not an IP address");
    auto& slot = a->is_v4() ? res.v4 : res.v6;
    if (slot) return value_error(ap, text, std::string("is a second ") + net::family_name(a->family()) + " address");
    slot = *a;
  }
  if (!res.v4 && !res.v6) return make_error(Errc::invalid_argument, path + ": needs \"ip-address\" or \"ip-addresses\"");
  auto values = parse_option_data(r, opts, options::kAnySpace);
  if (!values) return values.error();
  if (!values->empty()) opts.host[res.key.to_base64()] = std::move(*values);
  policy.reservations.push_back(res);
  return {};
}

Status parse_peers(const json& list, const std::string& path, std::vector<PeerEntry>& peers) {
  std::set<net::Address> sources;
  return for_each_object(list, path, [&](ObjectReader& r, const std::string&) -> Status {
    auto key = parse_key(r);
    if (!key) return key.error();
    std::string text;
    LH_TRY(r.string("source", text, true));
    auto source = net::Address::parse(text);
    if (!source) return value_error(r.at("source"), text, "is not an IP address");
    if (!sources.insert(*source).second) return value_error(r.at("source"), text, "is given to two peers");
    peers.push_back(PeerEntry{*key, *source});
    return {};
  });
}

Status parse_database(const json& v, const std::string& path, store::StoreConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  LH_TRY(r.string("type", out.type, true));
  if (out.type != "sqlite" && out.type != "memory")
    return value_error(r.at("type"), out.type, "is not a known lease database (sqlite, memory)");
  LH_TRY(r.string("name", out.name, out.type == "sqlite"));
  if (out.type == "sqlite" && out.name.empty()) return make_error(Errc::invalid_argument, r.at("name") + ": must not be empty");
  return r.check_unknown();
}

// Kea's shape: { "socket-type": "unix", "socket-name": PATH }. The path must fit in
// sun_path with its terminating NUL, or bind() would fail (or truncate) at start.
Status parse_unix_socket(ObjectReader& r, ControlSocketConfig& out) {
  LH_TRY(r.string("socket-type", out.socket_type, true));
  if (out.socket_type != "unix") return value_error(r.at("socket-type"), out.socket_type, "is not a known socket type (unix)");
  LH_TRY(r.string("socket-name", out.socket_name, true));
  if (out.socket_name.empty()) return make_error(Errc::invalid_argument, r.at("socket-name") + ": must not be empty");
  constexpr std::size_t max_path = sizeof(sockaddr_un{}.sun_path) - 1;
  if (out.socket_name.size() > max_path)
    return value_error(r.at("socket-name"), out.socket_name,
                       "is too long for a UNIX socket (at most " + std::to_string(max_path) + " bytes)");
  if (out.socket_name.find('\0') != std::string::npos)
    return make_error(Errc::invalid_argument, r.at("socket-name") + ": must not contain a NUL byte");
  return r.check_unknown();
}

Status parse_control_socket(const json& v, const std::string& path, ControlSocketConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  return parse_unix_socket(r, out);
}

// A password given in a file: its first line (Kea reads the whole file; a trailing newline
// from an editor is not part of the password).
Result<std::string> first_line_of(const std::string& path) {
  auto text = read_config_file(path);
  if (!text) return text.error();
  return text->substr(0, text->find_first_of("\r\n"));
}

Status parse_auth_client(ObjectReader& c, const std::string& at, const std::string& directory, HttpControlConfig& out) {
  auto in_directory = [&](const std::string& file) {
    return file.empty() || file[0] == '/' || directory.empty() ? file : directory + "/" + file;
  };
  BasicAuthClient client;
  std::string user_file, password_file;
  LH_TRY(c.string("user", client.user, false));
  LH_TRY(c.string("password", client.password, false));
  LH_TRY(c.string("user-file", user_file, false));
  LH_TRY(c.string("password-file", password_file, false));
  if (!user_file.empty()) {
    auto user = first_line_of(in_directory(user_file));
    if (!user) return make_error(Errc::invalid_argument, c.at("user-file") + ": " + user.error().message);
    client.user = *user;
  }
  if (!password_file.empty()) {
    auto secret = first_line_of(in_directory(password_file));
    if (!secret) return make_error(Errc::invalid_argument, c.at("password-file") + ": " + secret.error().message);
    client.password = *secret;
    if (client.user.empty()) {  // the file holds user:password
      auto colon = secret->find(':');
      if (colon == std::string::npos)
        return make_error(Errc::invalid_argument, c.at("password-file") + ": without a user, the file must hold user:password");
      client.user = secret->substr(0, colon);
      client.password = secret->substr(colon + 1);
    }
  }
  if (client.user.empty()) return make_error(Errc::invalid_argument, at + ": a client needs a user");
  if (client.user.find(':') != std::string::npos) return make_error(Errc::invalid_argument, at + ": a user name must not contain ':'");
  out.clients.push_back(std::move(client));
  return {};
}

// "authentication": { "type": "basic", "realm", "directory", "clients": [ { "user",
// "password" | "password-file", or "user-file" + "password-file", or "password-file" alone
// holding "user:password" } ] }, Kea's shape and rules.
Status parse_authentication(const json& v, const std::string& path, HttpControlConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  std::string type, directory;
  LH_TRY(r.string("type", type, true));
  if (type != "basic") return value_error(r.at("type"), type, "is not a known authentication type (basic)");
  LH_TRY(r.string("realm", out.realm, false));
  LH_TRY(r.string("directory", directory, false));
  if (r.has("clients"))
    LH_TRY(for_each_object(r.get("clients"), r.at("clients"), [&](ObjectReader& c, const std::string& at) {
      return parse_auth_client(c, at, directory, out);
    }));
  if (out.clients.empty()) return make_error(Errc::invalid_argument, r.at("clients") + ": at least one client is required");
  return r.check_unknown();
}

bool is_loopback_text(const std::string& address) {
  auto a = net::Address::parse(address);
  if (!a) return false;
  return a->is_v4() ? (a->v4_value() >> 24) == 127 : a->value() == 1;
}

Status parse_http_socket(ObjectReader& r, const std::string& type, HttpControlConfig& out) {
  LH_TRY(r.string("socket-address", out.address, false));
  if (!net::Address::parse(out.address)) return value_error(r.at("socket-address"), out.address, "is not an IP address");
  LH_TRY(r.number("socket-port", out.port, 0, 65535));
  if (r.has("authentication")) LH_TRY(parse_authentication(r.get("authentication"), r.at("authentication"), out));
  LH_TRY(r.string("trust-anchor", out.trust_anchor, false));
  LH_TRY(r.string("cert-file", out.cert_file, false));
  LH_TRY(r.string("key-file", out.key_file, false));
  LH_TRY(r.boolean("cert-required", out.cert_required));
  if (type == "https" && (out.cert_file.empty() || out.key_file.empty()))
    return make_error(Errc::invalid_argument, r.at("cert-file") + ": https needs cert-file and key-file");
  if (out.cert_file.empty() != out.key_file.empty())
    return make_error(Errc::invalid_argument, r.at("key-file") + ": cert-file and key-file go together");
  if (!out.trust_anchor.empty() && out.cert_file.empty())
    return make_error(Errc::invalid_argument, r.at("trust-anchor") + ": needs cert-file and key-file (TLS)");
  if (out.clients.empty() && !is_loopback_text(out.address))
    return make_error(Errc::invalid_argument, r.at("socket-address") + ": refusing to listen on non-loopback address " +
                                                  out.address + " without authentication");
  return r.check_unknown();
}

// "control-sockets": Kea 2.7's list form. At most one UNIX socket (which "control-socket"
// also gives), any number of HTTP(S) ones.
Status parse_control_sockets(const json& list, const std::string& path, ServerConfig& cfg, bool have_unix) {
  return for_each_object(list, path, [&](ObjectReader& r, const std::string& at) -> Status {
    std::string type;
    LH_TRY(r.string("socket-type", type, true));
    if (type == "unix") {
      if (have_unix) return make_error(Errc::invalid_argument, at + ": only one UNIX control socket is allowed");
      have_unix = true;
      return parse_unix_socket(r, cfg.control_socket);
    }
    if (type != "http" && type != "https") return value_error(r.at("socket-type"), type, "is not a known socket type (unix, http, https)");
    HttpControlConfig http;
    LH_TRY(parse_http_socket(r, type, http));
    cfg.http_control.push_back(std::move(http));
    return {};
  });
}

Status parse_requesters(ObjectReader& r, std::vector<net::Prefix>& out) {
  if (!r.has("requesters")) return make_error(Errc::invalid_argument, r.at("requesters") + ": required (the addresses allowed to query)");
  const json& list = r.get("requesters");
  LH_TRY(expect_array(list, r.at("requesters")));
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string p = r.at("requesters") + "[" + std::to_string(i) + "]";
    if (!list[i].is_string()) return make_error(Errc::invalid_argument, p + ": expected an address or prefix");
    std::string text = list[i].get<std::string>();
    if (text.find('/') == std::string::npos) {
      auto a = net::Address::parse(text);
      if (!a) return value_error(p, text, "is not an address or prefix: " + a.error().message);
      text += a->is_v4() ? "/32" : "/128";
    }
    auto prefix = net::Prefix::parse(text);
    if (!prefix) return value_error(p, list[i].get<std::string>(), "is not an address or prefix: " + prefix.error().message);
    out.push_back(*prefix);
  }
  return {};
}

Status parse_leasequery_listener(const json& v, const std::string& path, std::uint16_t default_port,
                                 const char* default_address, LeasequeryListenerConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  out.enabled = true;
  out.port = default_port;
  out.address = default_address;
  LH_TRY(r.string("lease-query-ip", out.address, false));
  if (auto a = net::Address::parse(out.address); !a) return value_error(r.at("lease-query-ip"), out.address, "is not an address");
  LH_TRY(r.number("lease-query-tcp-port", out.port, 0, 65535));
  LH_TRY(parse_requesters(r, out.requesters));
  LH_TRY(r.number("max-requester-connections", out.max_requester_connections, 1, 100000));
  LH_TRY(r.number("max-concurrent-queries", out.max_concurrent_queries, 1, 1000));
  LH_TRY(r.number("active-idle-timeout", out.idle_timeout_seconds, 1, 86400));
  LH_TRY(r.number("active-send-timeout", out.send_timeout_seconds, 1, 86400));
  LH_TRY(r.number("receive-timeout", out.receive_timeout_seconds, 1, 86400));
  return r.check_unknown();
}

Status parse_leasequery(const json& v, const std::string& path, LeasequeryConfig& out) {
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  if (r.has("journal")) {
    const json& j = r.get("journal");
    LH_TRY(expect_object(j, r.at("journal")));
    ObjectReader jr(j, r.at("journal"));
    LH_TRY(jr.number("max-entries", out.journal.max_entries, 0, std::uint64_t{1} << 40));
    LH_TRY(jr.number("max-age", out.journal.max_age_seconds, 0, std::uint64_t{10} * 365 * 86400));
    LH_TRY(jr.check_unknown());
  }
  if (r.has("json-stream")) {
    const json& j = r.get("json-stream");
    LH_TRY(expect_object(j, r.at("json-stream")));
    ObjectReader jr(j, r.at("json-stream"));
    LH_TRY(jr.number("keepalive-interval", out.stream_keepalive_seconds, 1, 3600));
    LH_TRY(jr.check_unknown());
  }
  if (r.has("dhcp6")) LH_TRY(parse_leasequery_listener(r.get("dhcp6"), r.at("dhcp6"), 547, "::1", out.dhcp6));
  if (r.has("dhcp4")) LH_TRY(parse_leasequery_listener(r.get("dhcp4"), r.at("dhcp4"), 67, "127.0.0.1", out.dhcp4));
  return r.check_unknown();
}

Status parse_leasehold(const json& v, ServerConfig& cfg) {
  const std::string path = "Leasehold";
  LH_TRY(expect_object(v, path));
  ObjectReader r(v, path);
  LH_TRY(parse_wireguard(r, cfg.wireguard));
  if (r.has("request-ip")) {
    LH_TRY(parse_request_ip(r.get("request-ip"), r.at("request-ip"), cfg.wireguard.interface, cfg.request_ip));
  } else if (!cfg.wireguard.enabled()) {
    return make_error(Errc::invalid_argument, r.at("request-ip") + ": required (or set \"interface\")");
  }
  if (cfg.wireguard.enabled() && cfg.request_ip.listen.empty())
    cfg.request_ip.listen.push_back(ListenEndpoint{wireguard::server_link_local(), cfg.wireguard.interface, 970});

  auto& pol = cfg.policy;
  bool has_min = r.has("min-valid-lifetime"), has_max = r.has("max-valid-lifetime");
  LH_TRY(r.number("valid-lifetime", pol.valid_lifetime, 1, 0xffffffffu));
  pol.min_valid_lifetime = pol.max_valid_lifetime = pol.valid_lifetime;  // Kea's defaults
  LH_TRY(r.number("min-valid-lifetime", pol.min_valid_lifetime, 1, 0xffffffffu));
  LH_TRY(r.number("max-valid-lifetime", pol.max_valid_lifetime, 1, 0xffffffffu));
  if (has_min && pol.min_valid_lifetime > pol.valid_lifetime)
    return make_error(Errc::invalid_argument, r.at("min-valid-lifetime") + ": " + std::to_string(pol.min_valid_lifetime) +
                                                  " is greater than valid-lifetime " + std::to_string(pol.valid_lifetime));
  if (has_max && pol.max_valid_lifetime < pol.valid_lifetime)
    return make_error(Errc::invalid_argument, r.at("max-valid-lifetime") + ": " + std::to_string(pol.max_valid_lifetime) +
                                                  " is less than valid-lifetime " + std::to_string(pol.valid_lifetime));
  LH_TRY(r.number("hold-reclaimed-time", pol.hold_reclaimed_time, 0, 0xffffffffu));

  auto& opts = cfg.options;
  if (r.has("option-def")) {
    auto defs = options::parse_definitions(r.get("option-def"), r.at("option-def"), opts.definitions, options::kAnySpace);
    if (!defs) return defs.error();
    opts.definitions.insert(opts.definitions.end(), defs->begin(), defs->end());
  }
  auto global = parse_option_data(r, opts, options::kAnySpace);
  if (!global) return global.error();
  opts.global = std::move(*global);
  if (r.has("subnet4")) LH_TRY(parse_subnets(r.get("subnet4"), r.at("subnet4"), net::Family::v4, pol, opts));
  if (r.has("subnet6")) LH_TRY(parse_subnets(r.get("subnet6"), r.at("subnet6"), net::Family::v6, pol, opts));
  if (r.has("reservations"))
    LH_TRY(for_each_object(r.get("reservations"), r.at("reservations"),
                           [&](ObjectReader& rr, const std::string& p) { return parse_reservation(rr, p, pol, opts); }));
  if (r.has("peers")) LH_TRY(parse_peers(r.get("peers"), r.at("peers"), cfg.peers));
  if (r.has("control-socket")) LH_TRY(parse_control_socket(r.get("control-socket"), r.at("control-socket"), cfg.control_socket));
  if (r.has("control-sockets"))
    LH_TRY(parse_control_sockets(r.get("control-sockets"), r.at("control-sockets"), cfg, cfg.control_socket.enabled()));
  if (!r.has("lease-database")) return make_error(Errc::invalid_argument, r.at("lease-database") + ": required");
  LH_TRY(parse_database(r.get("lease-database"), r.at("lease-database"), cfg.lease_database));
  if (r.has("leasequery")) LH_TRY(parse_leasequery(r.get("leasequery"), r.at("leasequery"), cfg.leasequery));
  LH_TRY(r.string("log-level", cfg.log_level, false));
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (!levels.count(cfg.log_level)) return value_error(r.at("log-level"), cfg.log_level, "is not one of trace, debug, info, warn, error");
  LH_TRY(r.check_unknown());
  // Cross-checks (overlaps, reservations inside subnets, duplicate ids) live with the policy.
  if (auto st = lease::validate_policy(pol); !st) return make_error(Errc::invalid_argument, path + ": " + st.error().message);
  return {};
}

#undef LH_TRY

}  // namespace

std::string strip_hash_comments(std::string_view text) {
  // Copies strings and // and /* */ comments untouched (nlohmann drops those comments
  // itself); a '#' anywhere else starts a comment that runs to the end of the line.
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  auto copy_until = [&](std::string_view end) {
    auto stop = text.find(end, i);
    std::size_t to = stop == std::string_view::npos ? text.size() : stop + end.size();
    out.append(text.substr(i, to - i));
    i = to;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      std::size_t to = std::min(j + 1, text.size());
      out.append(text.substr(i, to - i));
      i = to;
    } else if (text.substr(i, 2) == "//") {
      copy_until("\n");
    } else if (text.substr(i, 2) == "/*") {
      copy_until("*/");
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

Result<ListenEndpoint> parse_endpoint(std::string_view text) {
  ListenEndpoint ep;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(Errc::invalid_argument, "expected [address]:port");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (auto pct = host.find('%'); pct != std::string_view::npos) {
      ep.zone = std::string(host.substr(pct + 1));
      host = host.substr(0, pct);
      if (ep.zone.empty()) return make_error(Errc::invalid_argument, "empty interface after %");
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error(Errc::invalid_argument, "missing :port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return make_error(Errc::invalid_argument, "IPv6 addresses need brackets: [address]:port");
  }
  auto addr = net::Address::parse(host);
  if (!addr) return make_error(Errc::invalid_argument, "bad address");
  auto p = net::parse_uint(port, 65535);
  if (!p) return make_error(Errc::invalid_argument, "bad port");
  if (!ep.zone.empty() && addr->is_v4()) return make_error(Errc::invalid_argument, "an interface is only allowed with IPv6");
  ep.address = *addr;
  ep.port = static_cast<std::uint16_t>(*p);
  return ep;
}

std::string ListenEndpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  return "[" + address.to_string() + (zone.empty() ? "" : "%" + zone) + "]:" + std::to_string(port);
}

Result<json> parse_config_document(std::string_view text) {
  json doc;
  try {
    doc = json::parse(strip_hash_comments(text), nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    // parse_error for bad syntax, out_of_range for numbers no double can hold (1e999).
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 197) + "...";
    return make_error(Errc::invalid_argument, "not valid JSON: " + what);
  }
  if (!doc.is_object() || !doc.contains("Leasehold"))
    return make_error(Errc::invalid_argument, "the top level must be an object with a \"Leasehold\" key");
  for (const auto& [key, value] : doc.items())
    if (key != "Leasehold") return make_error(Errc::invalid_argument, key + ": unknown top-level key");
  return std::move(doc["Leasehold"]);
}

Result<ServerConfig> parse_config_object(const json& leasehold) {
  ServerConfig cfg;
  if (auto st = parse_leasehold(leasehold, cfg); !st) return st.error();
  return cfg;
}

Result<ServerConfig> parse_config(std::string_view text) {
  auto doc = parse_config_document(text);
  if (!doc) return doc.error();
  return parse_config_object(*doc);
}

Result<std::string> read_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(Errc::io, "error reading config file " + path);
  return ss.str();
}

Result<ServerConfig> load_config_file(const std::string& path) {
  auto text = read_config_file(path);
  if (!text) return text.error();
  return parse_config(*text);
}

}  // namespace leasehold::server
