// The client side of the request_ip wire codec: formatting a client's request in either wire
// format, and parsing a server's response of either format. Owns no policy: which prefix
// lengths a client accepts, and what a lease means, are the client's (src/client).
// Pure: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/address.h"
#include "wgdyn/request.h"

namespace leasehold::wgdyn {

// What a client asks for, per family.
struct ClientFamily {
  bool wanted = true;                // false: not asked for (upstream: released)
  std::optional<net::Address> hint;  // an address of this family the client would like
};

struct ClientRequest {
  Format format = Format::v1;
  ClientFamily v4;
  ClientFamily v6;
  std::optional<std::uint32_t> leasetime_seconds;
};

// v1: "request_ip=1", then "ipv4=a/32" and "ipv6=x/128" for hints, "leasetime=N", the empty
// line. v1 cannot leave a family out: `wanted` is ignored there (hints are sent regardless).
// Upstream: one "ip=" line per wanted family, the hint or 0.0.0.0/32 and ::/128 for "any";
// a family not wanted has no line (the server releases it).
// REQUIRES: each hint is of its family; leasetime_seconds is not 0 (with no hint, that is the
// release request).
std::string format_request(const ClientRequest& request);

// "Release everything": "request_ip=1", "leasetime=0", the empty line. An upstream server
// reads it as its empty request, which releases everything; leasehold reads it as an
// upstream release (docs/protocol.md). The bare empty request would not do: a v1 server,
// leasehold included, takes it as a request for both families.
std::string format_release_request();

// A response as it came, the prefix lengths unchecked.
struct ClientResponse {
  Format format = Format::v1;
  std::optional<net::Prefix> ipv4;  // host bits kept: "10.0.0.5/32" is 10.0.0.5, length 32
  std::optional<net::Prefix> ipv6;
  std::optional<std::uint64_t> leasestart;  // seconds since the epoch, <= INT64_MAX
  std::optional<std::uint32_t> leasetime_seconds;
  std::uint32_t error_number = 0;  // the wire's "errno"; 0 is success
  std::string errmsg;              // printable ASCII, as sent
};

// REQUIRES: `message` is one message as delimited by find_message() (checked again: anything
// else is an error, never undefined behaviour).
// Strict: a command line other than "request_ip=1" (v1; its absence means the upstream
// format), a line without '=', a duplicated known key, ipv4=/ipv6= in an upstream response or
// ip= in a v1 one, a bad address or number, an address under the wrong key, a second ip= of
// one family, a missing errno, and a success granting an address without leasestart and
// leasetime are errors (Errc::corruption, short lowercase message). Unknown keys are skipped.
Result<ClientResponse> parse_response(std::string_view message);

}  // namespace leasehold::wgdyn
