#include "wgdyn/request.h"

#include <limits>
#include <string>

#include "wgdyn/message_lines.h"

namespace leasehold::wgdyn {
namespace {

constexpr std::string_view kCommand = "request_ip";
constexpr std::uint64_t kVersion = 1;

Error invalid(std::string message) { return make_error(Errc::invalid_argument, std::move(message)); }
Error unsupported(std::string message) { return make_error(kUnsupportedErrc, std::move(message)); }

// One host address: "a.b.c.d", "a.b.c.d/32", "x::y" or "x::y/128"; no wider prefix.
Result<net::Address> parse_host_address(std::string_view key, std::string_view value) {
  if (value.find('/') == std::string_view::npos) {
    auto address = net::Address::parse(value);
    if (!address) return invalid("bad " + std::string(key));
    return *address;
  }
  auto prefix = net::Prefix::parse_host(value);
  if (!prefix) return invalid("bad " + std::string(key));
  const int bits = net::family_bits(prefix->family());
  if (prefix->length() != bits)
    return invalid(std::string(key) + " prefix is not /" + std::to_string(bits));
  return prefix->address();
}

Result<net::Address> parse_family_hint(std::string_view key, std::string_view value, net::Family family) {
  auto address = parse_host_address(key, value);
  if (!address) return address;
  if (address->family() != family) return invalid("wrong family for " + std::string(key));
  return address;
}

FamilyRequest hint_of(const net::Address& address) { return FamilyRequest{Want::hint, address}; }

}  // namespace

RequestFault request_fault(const Error& error) {
  return error.code == kUnsupportedErrc ? RequestFault::unsupported : RequestFault::invalid;
}

Result<Request> parse_request(std::string_view message) {
  auto layout = message_lines(message);
  if (!layout) return layout.error();
  std::string_view rest = *layout;

  const std::string_view first = take_line(rest);
  const std::size_t eq = first.find('=');
  if (eq == std::string_view::npos || eq == 0) return invalid("first line is not command=version");
  if (first.substr(0, eq) != kCommand) return unsupported("unsupported command");
  auto version = net::parse_uint(first.substr(eq + 1), std::numeric_limits<std::uint64_t>::max());
  if (!version) return invalid("bad version");
  if (*version != kVersion) return unsupported("unsupported version");

  std::optional<FamilyRequest> ipv4, ipv6;  // v1 keys
  std::optional<FamilyRequest> ip4, ip6;    // upstream ip= lines, by family
  Request request;
  while (!rest.empty()) {
    auto line = split_key_value(take_line(rest));
    if (!line) return line.error();
    const auto [key, value] = *line;

    if (key == "ipv4" || key == "ipv6") {
      const bool is_v4 = key == "ipv4";
      auto& slot = is_v4 ? ipv4 : ipv6;
      if (slot) return invalid("duplicate " + std::string(key));
      auto address = parse_family_hint(key, value, is_v4 ? net::Family::v4 : net::Family::v6);
      if (!address) return address.error();
      slot = hint_of(*address);
    } else if (key == "ip") {
      auto address = parse_host_address(key, value);
      if (!address) return address.error();
      const bool is_v4 = address->is_v4();
      auto& slot = is_v4 ? ip4 : ip6;
      if (slot) return invalid(is_v4 ? "duplicate ip= for ipv4" : "duplicate ip= for ipv6");
      // The unspecified address (0.0.0.0, ::) asks for any address of its family.
      slot = address->value() == 0 ? FamilyRequest{} : hint_of(*address);
    } else if (key == "leasetime") {
      if (request.leasetime_seconds) return invalid("duplicate leasetime");
      auto seconds = net::parse_uint(value, std::numeric_limits<std::uint32_t>::max());
      if (!seconds) return invalid("bad leasetime");
      request.leasetime_seconds = static_cast<std::uint32_t>(*seconds);
    } else if (key == kCommand) {
      return invalid("duplicate request_ip");
    }
    // Any other key is for a later version; skipping it keeps old servers usable.
  }

  // "leasetime=0" with no address line is the upstream release-everything request made
  // unambiguous: to an upstream server it is the empty request (release everything), and
  // no v1 client asks for a lease of no time. leasehold-client sends it on stop.
  const bool release_all = !ip4 && !ip6 && !ipv4 && !ipv6 && request.leasetime_seconds == 0u;
  if (ip4 || ip6 || release_all) {
    if (ipv4 || ipv6) return invalid("ip= mixed with ipv4= or ipv6=");
    request.format = Format::upstream;
    const FamilyRequest release{Want::release, {}};
    request.v4 = ip4.value_or(release);
    request.v6 = ip6.value_or(release);
  } else {
    request.format = Format::v1;
    request.v4 = ipv4.value_or(FamilyRequest{});
    request.v6 = ipv6.value_or(FamilyRequest{});
  }
  return request;
}

}  // namespace leasehold::wgdyn
