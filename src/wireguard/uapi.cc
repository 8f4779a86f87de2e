// wireguard UAPI codec: request text and strict parsing of get/set replies.
#include "wireguard/uapi.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

namespace leasehold::wireguard {

namespace {

constexpr std::string_view kErrnoPrefix = "device errno ";
constexpr std::size_t kMaxEndpoint = 128;  // "[v6%zone]:port" fits with room to spare
constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;

Error corrupt(std::string message) { return make_error(Errc::corruption, std::move(message)); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "0", "N" or "-N" with N <= INT_MAX; no "+", no "-0".
std::optional<int> parse_errno(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const auto n = net::parse_uint(text, 2147483647);
  if (!n || (negative && *n == 0)) return std::nullopt;
  const int v = static_cast<int>(*n);
  return negative ? -v : v;
}

// The value of the "errno=N" line; `rest` (what follows that line) must be exactly "\n".
Result<int> parse_errno_tail(std::string_view value, std::string_view rest) {
  const auto number = parse_errno(value);
  if (!number) return corrupt("bad errno");
  if (rest.empty()) return corrupt("missing final empty line");
  if (rest != "\n") return corrupt("trailing bytes after errno");
  return *number;
}

bool has_control_byte(std::string_view line) {
  return std::any_of(line.begin(), line.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool is_device_key(std::string_view key) {
  return key == "private_key" || key == "listen_port" || key == "fwmark";
}

bool is_peer_key(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kPeerKeys = {
      "preshared_key",   "endpoint", "persistent_keepalive_interval",
      "allowed_ip",      "rx_bytes", "tx_bytes",
      "last_handshake_time_sec", "last_handshake_time_nsec", "protocol_version"};
  return std::find(kPeerKeys.begin(), kPeerKeys.end(), key) != kPeerKeys.end();
}

Status check_uint(std::string_view key, std::string_view value, std::uint64_t max) {
  if (!net::parse_uint(value, max)) return corrupt("bad " + std::string(key));
  return {};
}

// Secret keys are checked for shape and then forgotten.
Status check_secret(std::string_view key, std::string_view value) {
  if (!key_from_hex(value)) return corrupt("bad " + std::string(key) + " hex");
  return {};
}

// The device's public key is X25519(private, base point); the private key is not kept.
std::optional<lease::PublicKey> public_from_private(const lease::PublicKey& secret) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.bytes().data(), secret.bytes().size());
  if (!pkey) return std::nullopt;
  std::array<std::uint8_t, lease::PublicKey::kSize> out{};
  std::size_t size = out.size();
  bool ok = EVP_PKEY_get_raw_public_key(pkey, out.data(), &size) == 1 && size == out.size();
  EVP_PKEY_free(pkey);
  if (!ok) return std::nullopt;
  return lease::PublicKey(out);
}

Status apply_device_line(DeviceInfo& info, std::string_view key, std::string_view value) {
  if (key == "private_key") {
    auto secret = key_from_hex(value);
    if (!secret) return corrupt("bad private_key hex");
    info.public_key = public_from_private(*secret);
    return {};
  }
  if (key == "fwmark") return check_uint(key, value, 0xffffffff);
  // listen_port
  const auto port = net::parse_uint(value, 65535);
  if (!port) return corrupt("bad listen_port");
  info.listen_port = static_cast<std::uint16_t>(*port);
  return {};
}

Status apply_peer_line(PeerInfo& peer, std::string_view key, std::string_view value) {
  if (key == "preshared_key") return check_secret(key, value);
  if (key == "allowed_ip") {
    auto prefix = net::Prefix::parse(value);
    if (!prefix) return corrupt("bad allowed_ip");
    peer.allowed_ips.push_back(*prefix);
    return {};
  }
  if (key == "endpoint") {
    if (value.empty() || value.size() > kMaxEndpoint) return corrupt("bad endpoint");
    peer.endpoint = std::string(value);
    return {};
  }
  if (key == "persistent_keepalive_interval") return check_uint(key, value, 65535);
  if (key == "last_handshake_time_nsec") return check_uint(key, value, kNanosPerSecond - 1);
  if (key == "protocol_version") return check_uint(key, value, 0xffffffff);
  const auto n = net::parse_uint(value, UINT64_MAX);
  if (!n) return corrupt("bad " + std::string(key));
  if (key == "rx_bytes") peer.rx_bytes = *n;
  else if (key == "tx_bytes") peer.tx_bytes = *n;
  else peer.last_handshake_seconds = *n;  // last_handshake_time_sec
  return {};
}

Status check_unique_keys(const std::vector<PeerInfo>& peers) {
  std::vector<lease::PublicKey> keys;
  keys.reserve(peers.size());
  for (const PeerInfo& p : peers) keys.push_back(p.key);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
    return corrupt("duplicate public_key");
  return {};
}

std::string set_peer_header(const lease::PublicKey& key) {
  std::string out = "set=1\npublic_key=";
  out += key_to_hex(key);
  out += "\nupdate_only=true\n";
  return out;
}

void append_ips(std::string& out, std::string_view marker, std::span<const net::Prefix> ips) {
  for (const net::Prefix& ip : ips) {
    out += "allowed_ip=";
    out += marker;
    out += ip.to_string();
    out += '\n';
  }
}

}  // namespace

std::string key_to_hex(const lease::PublicKey& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(kKeyHexSize);
  for (std::uint8_t b : key.bytes()) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

Result<lease::PublicKey> key_from_hex(std::string_view text) {
  if (text.size() != kKeyHexSize) return corrupt("bad key hex");
  std::array<std::uint8_t, lease::PublicKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return corrupt("bad key hex");
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return lease::PublicKey(bytes);
}

std::string get_request() { return "get=1\n\n"; }

std::string add_allowed_ips_request(const lease::PublicKey& key, std::span<const net::Prefix> ips) {
  std::string out = set_peer_header(key);
  append_ips(out, "", ips);
  out += '\n';
  return out;
}

std::string remove_allowed_ips_request(const lease::PublicKey& key,
                                       std::span<const net::Prefix> ips) {
  std::string out = set_peer_header(key);
  append_ips(out, "-", ips);
  out += '\n';
  return out;
}

std::string replace_allowed_ips_request(const lease::PublicKey& key,
                                        std::span<const net::Prefix> remaining) {
  std::string out = set_peer_header(key);
  out += "replace_allowed_ips=true\n";
  append_ips(out, "", remaining);
  out += '\n';
  return out;
}

Result<DeviceInfo> parse_get_response(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return corrupt("nul byte");
  DeviceInfo info;
  std::size_t pos = 0;
  std::size_t lines = 0;
  for (;;) {
    const std::size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) return corrupt("missing errno");
    const std::string_view line = text.substr(pos, newline - pos);
    pos = newline + 1;
    if (++lines > kMaxLines) return corrupt("too many lines");
    if (line.empty()) return corrupt("missing errno");
    if (has_control_byte(line)) return corrupt("control byte in line");
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return corrupt("line without '='");
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key.empty()) return corrupt("empty key");

    if (key == "errno") {
      auto number = parse_errno_tail(value, text.substr(pos));
      if (!number) return number.error();
      if (*number != 0)
        return make_error(Errc::io, std::string(kErrnoPrefix) + std::to_string(*number));
      if (auto unique = check_unique_keys(info.peers); !unique) return unique.error();
      return info;
    }
    if (key == "public_key") {
      if (info.peers.size() >= kMaxPeers) return corrupt("too many peers");
      auto peer_key = key_from_hex(value);
      if (!peer_key) return corrupt("bad public_key hex");
      info.peers.emplace_back();
      info.peers.back().key = *peer_key;
      continue;
    }
    const bool in_peer = !info.peers.empty();
    if (is_device_key(key)) {
      if (in_peer) return corrupt(std::string(key) + " after public_key");
      if (auto applied = apply_device_line(info, key, value); !applied) return applied.error();
    } else if (is_peer_key(key)) {
      if (!in_peer) return corrupt(std::string(key) + " before public_key");
      if (auto applied = apply_peer_line(info.peers.back(), key, value); !applied)
        return applied.error();
    }
    // Unknown keys (newer protocol fields, forks' extensions) are skipped.
  }
}

Result<int> parse_set_response(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return corrupt("nul byte");
  constexpr std::string_view kKey = "errno=";
  if (text.substr(0, kKey.size()) != kKey) return corrupt("missing errno");
  const std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return corrupt("missing errno");
  const std::string_view value = text.substr(kKey.size(), newline - kKey.size());
  return parse_errno_tail(value, text.substr(newline + 1));
}

std::optional<int> device_errno(const Error& error) {
  if (error.code != Errc::io) return std::nullopt;
  std::string_view message = error.message;
  if (message.substr(0, kErrnoPrefix.size()) != kErrnoPrefix) return std::nullopt;
  return parse_errno(message.substr(kErrnoPrefix.size()));
}

}  // namespace leasehold::wireguard

namespace leasehold::wireguard {

namespace {
void append_peer(std::string& out, const lease::PublicKey& key) {
  out += "public_key=";
  out += key_to_hex(key);
  out += "\nupdate_only=true\n";
}
}  // namespace

std::string update_request(std::span<const AllowedIpsUpdate> updates) {
  std::string out = "set=1\n";
  for (const AllowedIpsUpdate& u : updates) {
    if (u.remove.empty()) continue;
    append_peer(out, u.key);
    append_ips(out, "-", u.remove);
  }
  for (const AllowedIpsUpdate& u : updates) {
    if (u.add.empty()) continue;
    append_peer(out, u.key);
    append_ips(out, "", u.add);
  }
  out += '\n';
  return out;
}

std::string replace_update_request(std::span<const AllowedIpsUpdate> updates, const DeviceInfo& current) {
  std::map<lease::PublicKey, std::vector<net::Prefix>> replaced;
  for (KeptList& kept : lists_after_removals(updates, current)) replaced.emplace(kept.key, std::move(kept.keep));
  std::string out = "set=1\n";
  for (const AllowedIpsUpdate& u : updates) {
    auto it = replaced.find(u.key);
    if (it == replaced.end()) {
      if (u.add.empty()) continue;
      append_peer(out, u.key);
      append_ips(out, "", u.add);
      continue;
    }
    // The peer's whole list once, with this update's additions; later updates of the
    // same peer only add.
    std::vector<net::Prefix> keep = std::move(it->second);
    replaced.erase(it);
    for (const net::Prefix& ip : u.add)
      if (std::find(keep.begin(), keep.end(), ip) == keep.end()) keep.push_back(ip);
    append_peer(out, u.key);
    out += "replace_allowed_ips=true\n";
    append_ips(out, "", keep);
  }
  out += '\n';
  return out;
}

}  // namespace leasehold::wireguard
