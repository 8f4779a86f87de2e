// One request_ip exchange over TCP from the client's link-local address and source port on
// its interface to the server: connect, send one request, read one framed response, with one
// deadline over all of it. Blocking, but it gives up at once when `abort_fd` becomes readable
// (the client's signalfd), so that SIGTERM is never kept waiting. No shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "net/address.h"

namespace leasehold::client {

struct Endpoints {
  unsigned ifindex = 0;    // scope of both link-local addresses
  net::Address source;     // the client's link-local address
  std::uint16_t source_port = 970;
  net::Address server;     // fe80:: by convention
  std::uint16_t port = 970;
};

// Returns the response message, final empty line included (not yet parsed).
// Errors: Errc::unavailable when aborted by abort_fd; Errc::io for connection failures and the
// deadline; Errc::corruption when the server's bytes cannot be framed.
Result<std::string> exchange(const Endpoints& endpoints, const std::string& request, std::chrono::milliseconds timeout,
                             int abort_fd);

}  // namespace leasehold::client
