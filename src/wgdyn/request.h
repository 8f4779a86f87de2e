// Parsing of one framed request_ip request into a format-neutral Request.
// Owns the two wire formats a client may use (spec v1, later upstream "ip=") and their
// validation; does not frame (frame.h) or decide anything. Pure: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "net/address.h"

namespace leasehold::wgdyn {

// Which wire format a request used, so that the answer is given in kind.
enum class Format : std::uint8_t {
  v1,        // ipv4= / ipv6= hints (the spec)
  upstream,  // ip= lines (December 2019 upstream code)
};

// What the client wants for one address family.
enum class Want : std::uint8_t {
  keep_or_any,  // keep the address held, or draw one
  hint,         // this address, if the client holds a valid lease on it
  release,      // nothing of this family; release the held one (upstream only)
};

struct FamilyRequest {
  Want want = Want::keep_or_any;
  net::Address hint;  // meaningful only when want == Want::hint, and then of this family

  friend bool operator==(const FamilyRequest&, const FamilyRequest&) = default;
};

struct Request {
  Format format = Format::v1;
  FamilyRequest v4;
  FamilyRequest v6;
  std::optional<std::uint32_t> leasetime_seconds;  // the client's hint, unclamped

  friend bool operator==(const Request&, const Request&) = default;
};

// Why a request was refused. Carried in Error::code so that parse_request can return a
// plain Result: Errc::invalid_argument is "invalid", Errc::not_found is "unsupported"
// (no such command or version).
enum class RequestFault : std::uint8_t { invalid, unsupported };
inline constexpr Errc kUnsupportedErrc = Errc::not_found;
RequestFault request_fault(const Error& error);

// REQUIRES: `message` is one message as delimited by find_message() (it is checked again:
// anything else is an invalid request, never undefined behaviour).
// Errors carry a short lowercase message such as "bad leasetime" or "line without '='".
Result<Request> parse_request(std::string_view message);

}  // namespace leasehold::wgdyn
