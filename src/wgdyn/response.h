// Formatting of request_ip responses in the client's wire format, and the error codes of
// both formats. Owns the bytes written back; does not decide outcomes (the engine does).
// Pure: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "net/address.h"
#include "wgdyn/frame.h"
#include "wgdyn/request.h"

namespace leasehold::wgdyn {

// What became of a request, independent of the wire format.
enum class Outcome : std::uint8_t {
  granted,             // success, possibly partial or (upstream) a pure release
  out_of_addresses,
  chosen_unavailable,  // a specific address was asked for and cannot be had
  invalid,
  unsupported,         // unknown command or version
  internal_error,
};

// v1 codes. 1 and 2 are the spec's and keep their meaning; 3 and 4 are leasehold's.
enum class V1Errno : std::uint32_t {
  ok = 0,
  internal_error = 1,
  out_of_addresses = 2,
  invalid_request = 3,
  unsupported = 4,
};

// Codes of the later upstream format.
enum class UpstreamErrno : std::uint32_t {
  ok = 0,
  invalid_request = 1,
  unsupported = 2,
  chosen_unavailable = 3,
};

V1Errno v1_errno(Outcome outcome);              // chosen_unavailable -> out_of_addresses
UpstreamErrno upstream_errno(Outcome outcome);  // out_of_addresses -> chosen_unavailable,
                                                // internal_error -> invalid_request
std::uint32_t errno_for(Format format, Outcome outcome);

struct Response {
  Format format = Format::v1;
  Outcome outcome = Outcome::granted;
  // Success only. REQUIRES: ipv4 holds an IPv4 address and ipv6 an IPv6 address.
  std::optional<net::Address> ipv4;
  std::optional<net::Address> ipv6;
  std::uint64_t leasestart = 0;  // seconds since the epoch
  std::uint32_t leasetime_seconds = 0;
  // v1 success only: further key=value lines, written before errno. Dropped: empty keys,
  // keys the protocol already uses, and lines that would break kMaxLine or kMaxMessage.
  std::vector<std::pair<std::string, std::string>> extra;
  // Failure only; empty means a default text for the outcome. Bytes outside printable
  // ASCII become '?', and it is cut to kMaxErrmsg bytes.
  std::string errmsg;
};

inline constexpr std::size_t kMaxErrmsg = 256;

// The full message, final empty line included. leasestart/leasetime appear only when an
// address was granted; an upstream success granting nothing is "errno=0\n\n".
std::string format_response(const Response& response);

// The answer to a request that could not be framed or parsed: v1 format (the client's
// format is unknown), errno 3 (invalid) or 4 (unsupported), the error's message as errmsg.
Response reject(const Error& parse_error);
// REQUIRES: `frame_error` is an error status (not complete or need_more). Errno 3.
Response reject(FrameStatus frame_error);

}  // namespace leasehold::wgdyn
