#include "wgdyn/client_codec.h"

#include <limits>

#include "wgdyn/message_lines.h"

namespace leasehold::wgdyn {
namespace {

constexpr std::string_view kCommandLine = "request_ip=1";

Error corrupt(std::string message) { return make_error(Errc::corruption, std::move(message)); }

std::string host_text(const net::Address& address) {
  return address.to_string() + "/" + std::to_string(net::family_bits(address.family()));
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key).append("=").append(value).append("\n");
}

void append_upstream_family(std::string& out, const ClientFamily& family, net::Family which) {
  if (!family.wanted) return;
  const net::Address any = which == net::Family::v4 ? net::Address::v4(0) : net::Address::v6(0);
  append_line(out, "ip", host_text(family.hint.value_or(any)));
}

// Address lines always carry a prefix length (the spec writes addresses in CIDR notation);
// the length is kept for the client to judge.
Result<net::Prefix> parse_address_line(std::string_view key, std::string_view value) {
  if (value.find('/') == std::string_view::npos) return corrupt("bad " + std::string(key) + ": no prefix length");
  auto prefix = net::Prefix::parse_host(value);
  if (!prefix) return corrupt("bad " + std::string(key));
  return *prefix;
}

// Parses state for one response: which keys were seen, in which format.
class ResponseParser {
 public:
  explicit ResponseParser(Format format) { response_.format = format; }

  Status line(std::string_view key, std::string_view value) {
    if (key == "ipv4" || key == "ipv6") return family_key(key, value);
    if (key == "ip") return ip_key(value);
    if (key == "leasestart") return number(key, value, std::numeric_limits<std::int64_t>::max(), response_.leasestart);
    if (key == "leasetime") return number(key, value, std::numeric_limits<std::uint32_t>::max(), leasetime_);
    if (key == "errno") return number(key, value, std::numeric_limits<std::uint32_t>::max(), errno_);
    if (key == "errmsg") {
      if (errmsg_seen_) return corrupt("duplicate errmsg");
      errmsg_seen_ = true;
      response_.errmsg = std::string(value);
      return {};
    }
    if (key == "request_ip") return corrupt("duplicate request_ip");
    return {};  // a later version's key
  }

  Result<ClientResponse> finish() {
    if (!errno_) return corrupt("missing errno");
    response_.error_number = static_cast<std::uint32_t>(*errno_);
    if (leasetime_) response_.leasetime_seconds = static_cast<std::uint32_t>(*leasetime_);
    const bool granted = response_.ipv4 || response_.ipv6;
    if (response_.error_number == 0 && granted && (!response_.leasestart || !response_.leasetime_seconds))
      return corrupt("missing leasestart or leasetime");
    return std::move(response_);
  }

 private:
  Status family_key(std::string_view key, std::string_view value) {
    if (response_.format != Format::v1) return corrupt(std::string(key) + "= in an upstream response");
    const bool is_v4 = key == "ipv4";
    auto& slot = is_v4 ? response_.ipv4 : response_.ipv6;
    if (slot) return corrupt("duplicate " + std::string(key));
    auto prefix = parse_address_line(key, value);
    if (!prefix) return prefix.error();
    if (prefix->address().is_v4() != is_v4) return corrupt("wrong family for " + std::string(key));
    slot = *prefix;
    return {};
  }

  Status ip_key(std::string_view value) {
    if (response_.format != Format::upstream) return corrupt("ip= in a v1 response");
    auto prefix = parse_address_line("ip", value);
    if (!prefix) return prefix.error();
    const bool is_v4 = prefix->address().is_v4();
    auto& slot = is_v4 ? response_.ipv4 : response_.ipv6;
    if (slot) return corrupt(is_v4 ? "duplicate ip= for ipv4" : "duplicate ip= for ipv6");
    slot = *prefix;
    return {};
  }

  static Status number(std::string_view key, std::string_view value, std::uint64_t max,
                       std::optional<std::uint64_t>& slot) {
    if (slot) return corrupt("duplicate " + std::string(key));
    slot = net::parse_uint(value, max);
    if (!slot) return corrupt("bad " + std::string(key));
    return {};
  }

  ClientResponse response_;
  std::optional<std::uint64_t> leasetime_;
  std::optional<std::uint64_t> errno_;
  bool errmsg_seen_ = false;
};

}  // namespace

std::string format_request(const ClientRequest& request) {
  std::string out(kCommandLine);
  out += "\n";
  if (request.format == Format::v1) {
    if (request.v4.hint) append_line(out, "ipv4", host_text(*request.v4.hint));
    if (request.v6.hint) append_line(out, "ipv6", host_text(*request.v6.hint));
  } else {
    append_upstream_family(out, request.v4, net::Family::v4);
    append_upstream_family(out, request.v6, net::Family::v6);
  }
  if (request.leasetime_seconds) append_line(out, "leasetime", std::to_string(*request.leasetime_seconds));
  out += "\n";
  return out;
}

std::string format_release_request() { return std::string(kCommandLine) + "\nleasetime=0\n\n"; }

Result<ClientResponse> parse_response(std::string_view message) {
  auto layout = message_lines(message);
  if (!layout) return corrupt(layout.error().message);
  std::string_view rest = *layout;

  // The v1 answer repeats the command line; the upstream answer has none.
  Format format = Format::upstream;
  std::string_view peek = rest;
  const std::string_view first = take_line(peek);
  if (first.starts_with("request_ip=")) {
    if (first != kCommandLine) return corrupt("unsupported version");
    format = Format::v1;
    rest = peek;
  }
  ResponseParser parser(format);
  while (!rest.empty()) {
    auto line = split_key_value(take_line(rest));
    if (!line) return corrupt(line.error().message);
    if (auto status = parser.line(line->key, line->value); !status) return status.error();
  }
  return parser.finish();
}

}  // namespace leasehold::wgdyn
