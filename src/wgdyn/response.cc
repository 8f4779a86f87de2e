#include "wgdyn/response.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace leasehold::wgdyn {
namespace {

constexpr std::array<std::string_view, 8> kReservedKeys = {
    "request_ip", "ipv4", "ipv6", "ip", "leasestart", "leasetime", "errno", "errmsg"};

constexpr std::size_t kErrnoOkTail = 9;  // "errno=0\n\n"

bool printable(char c) { return c >= 0x20 && c <= 0x7e; }

// Whatever the caller passes, the output stays one well-formed line.
std::string sanitise(std::string_view text, std::size_t max_bytes, bool in_key) {
  std::string out(text.substr(0, max_bytes));
  for (char& c : out)
    if (!printable(c) || (in_key && c == '=')) c = '?';
  return out;
}

const char* default_errmsg(Outcome outcome) {
  switch (outcome) {
    case Outcome::granted: return "";
    case Outcome::out_of_addresses: return "Out of IP addresses";  // the spec's wording for errno 2
    case Outcome::chosen_unavailable: return "chosen ip unavailable";
    case Outcome::invalid: return "invalid request";
    case Outcome::unsupported: return "unsupported command or version";
    case Outcome::internal_error: return "Undefined internal error";  // the spec's wording for errno 1
  }
  return "internal error";
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
  out.append(key).append("=").append(value).append("\n");
}

std::string host_prefix(const net::Address& address) {
  return address.to_string() + "/" + std::to_string(net::family_bits(address.family()));
}

void append_success(std::string& out, const Response& response) {
  const bool v1 = response.format == Format::v1;
  if (response.ipv4) append_line(out, v1 ? "ipv4" : "ip", host_prefix(*response.ipv4));
  if (response.ipv6) append_line(out, v1 ? "ipv6" : "ip", host_prefix(*response.ipv6));
  if (response.ipv4 || response.ipv6) {
    append_line(out, "leasestart", std::to_string(response.leasestart));
    append_line(out, "leasetime", std::to_string(response.leasetime_seconds));
  }
  if (v1) {
    for (const auto& [key, value] : response.extra) {
      const std::string clean_key = sanitise(key, kMaxLine, true);
      const bool reserved =
          std::find(kReservedKeys.begin(), kReservedKeys.end(), clean_key) != kReservedKeys.end();
      const std::size_t line_bytes = clean_key.size() + value.size() + 2;
      // Room is kept for "errno=0\n\n" so the client can always frame the answer.
      if (clean_key.empty() || reserved || line_bytes > kMaxLine ||
          out.size() + line_bytes + kErrnoOkTail > kMaxMessage)
        continue;
      append_line(out, clean_key, sanitise(value, kMaxLine, false));
    }
  }
  append_line(out, "errno", "0");
}

}  // namespace

V1Errno v1_errno(Outcome outcome) {
  switch (outcome) {
    case Outcome::granted: return V1Errno::ok;
    case Outcome::out_of_addresses:
    case Outcome::chosen_unavailable: return V1Errno::out_of_addresses;
    case Outcome::invalid: return V1Errno::invalid_request;
    case Outcome::unsupported: return V1Errno::unsupported;
    case Outcome::internal_error: return V1Errno::internal_error;
  }
  return V1Errno::internal_error;
}

UpstreamErrno upstream_errno(Outcome outcome) {
  switch (outcome) {
    case Outcome::granted: return UpstreamErrno::ok;
    case Outcome::out_of_addresses:
    case Outcome::chosen_unavailable: return UpstreamErrno::chosen_unavailable;
    case Outcome::unsupported: return UpstreamErrno::unsupported;
    // The upstream format has no internal-error code; 1 is the closest it offers.
    case Outcome::invalid:
    case Outcome::internal_error: return UpstreamErrno::invalid_request;
  }
  return UpstreamErrno::invalid_request;
}

std::uint32_t errno_for(Format format, Outcome outcome) {
  return format == Format::v1 ? static_cast<std::uint32_t>(v1_errno(outcome))
                              : static_cast<std::uint32_t>(upstream_errno(outcome));
}

std::string format_response(const Response& response) {
  std::string out;
  if (response.format == Format::v1) out = "request_ip=1\n";
  if (response.outcome == Outcome::granted) {
    append_success(out, response);
  } else {
    append_line(out, "errno", std::to_string(errno_for(response.format, response.outcome)));
    const std::string_view text =
        response.errmsg.empty() ? std::string_view(default_errmsg(response.outcome)) : response.errmsg;
    append_line(out, "errmsg", sanitise(text, kMaxErrmsg, false));
  }
  out.append("\n");
  return out;
}

Response reject(const Error& parse_error) {
  Response response;
  response.format = Format::v1;
  response.outcome =
      request_fault(parse_error) == RequestFault::unsupported ? Outcome::unsupported : Outcome::invalid;
  response.errmsg = parse_error.message;
  return response;
}

Response reject(FrameStatus frame_error) {
  Response response;
  response.format = Format::v1;
  response.outcome = Outcome::invalid;
  response.errmsg = frame_error_message(frame_error);
  return response;
}

}  // namespace leasehold::wgdyn
