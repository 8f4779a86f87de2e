// libFuzzer target for the configuration parser (src/server/config.cc): feeds the input as
// a config file and, when it is accepted, traps if the result breaks a rule that the
// engine and the request_ip service rely on without checking again.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lease/engine.h"
#include "server/config.h"

namespace {

using namespace leasehold;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_request_ip(const server::RequestIpConfig& r) {
  check(!r.listen.empty());
  for (const auto& ep : r.listen) {
    check(ep.zone.empty() || !ep.address.is_v4());
    // The text we log must read back as the same endpoint.
    auto again = server::parse_endpoint(ep.to_string());
    check(again.ok());
    check(again->address == ep.address && again->port == ep.port && again->zone == ep.zone);
  }
  check(r.idle_timeout_seconds >= 1 && r.idle_timeout_seconds <= 86400);
  check(r.max_connections >= 1 && r.max_connections <= 1'000'000);
}

void check_policy(const lease::Policy& p) {
  check(lease::validate_policy(p).ok());
  check(p.min_valid_lifetime >= 1);
  check(p.min_valid_lifetime <= p.valid_lifetime && p.valid_lifetime <= p.max_valid_lifetime);
  for (const auto& s : p.subnets) {
    check(s.id >= 1);
    for (const auto& def : s.pools) {
      const net::Range& pool = def.range;
      check(pool.first.family() == s.prefix.family() && pool.last.family() == s.prefix.family());
      check(pool.first.value() <= pool.last.value());
      check(s.prefix.contains(pool.first) && s.prefix.contains(pool.last));
    }
  }
  for (const auto& r : p.reservations) {
    check(r.v4 || r.v6);
    check(!r.v4 || r.v4->is_v4());
    check(!r.v6 || !r.v6->is_v4());
    auto again = lease::PublicKey::from_base64(r.key.to_base64());
    check(again.ok() && *again == r.key);
  }
}

const lease::SubnetSpec* subnet_by_id(const lease::Policy& p, net::Family f, std::uint32_t id) {
  for (const auto& s : p.subnets)
    if (s.prefix.family() == f && s.id == id) return &s;
  return nullptr;
}

// What the allocator will draw from: inside its subnet and a configured pool, no
// overlaps, and for IPv4 never the subnet's network or broadcast address.
void check_effective_pools(const lease::Policy& p, net::Family f) {
  std::vector<lease::PoolSpec> pools = lease::effective_pools(p, f);
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const net::Range& r = pools[i].range;
    check(r.first.family() == f && r.last.family() == f);
    check(r.first.value() <= r.last.value());
    const lease::SubnetSpec* s = subnet_by_id(p, f, pools[i].subnet_id);
    check(s != nullptr);
    check(s->prefix.contains(r.first) && s->prefix.contains(r.last));
    bool in_configured = false;
    for (const auto& c : s->pools)
      in_configured |= c.range.first.value() <= r.first.value() && r.last.value() <= c.range.last.value();
    check(in_configured);
    if (f == net::Family::v4 && s->prefix.length() < 31) {
      check(!r.contains(s->prefix.first()));
      check(!r.contains(s->prefix.last()));
    }
    for (std::size_t j = 0; j < i; ++j) check(!pools[j].range.overlaps(r));
  }
}

void check_rest(const server::ServerConfig& cfg) {
  std::set<net::Address> sources;
  for (const auto& peer : cfg.peers) check(sources.insert(peer.source).second);
  const auto& db = cfg.lease_database;
  check(db.type == "sqlite" || db.type == "memory");
  check(db.type != "sqlite" || !db.name.empty());
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  check(levels.count(cfg.log_level) == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  // Stripping '#' comments twice changes nothing: the first pass leaves none outside strings.
  std::string stripped = server::strip_hash_comments(text);
  check(server::strip_hash_comments(stripped) == stripped);

  auto cfg = server::parse_config(text);
  if (!cfg) {
    check(!cfg.error().message.empty());
    return 0;
  }
  check_request_ip(cfg->request_ip);
  check_policy(cfg->policy);
  check_effective_pools(cfg->policy, net::Family::v4);
  check_effective_pools(cfg->policy, net::Family::v6);
  check_rest(*cfg);
  return 0;
}
