// HttpControl: the control API over HTTP(S), as Kea's control agent serves it: `POST /`
// with one JSON command, answered with a JSON list holding the one response; keep-alive;
// basic authentication; optional TLS with optional client certificates. `GET /metrics`
// on the same server answers the statistics in Prometheus' text format. Errors of the HTTP
// layer (no or wrong credentials, not a POST of JSON, malformed JSON) get Kea's status
// codes and bodies. Runs on one event loop; Beast stays inside http_control.cc.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "server/config.h"
#include "server/control_socket.h"

namespace leasehold::leasequery {
class ChangeHub;
}
namespace leasehold::store {
class JournalReader;
}

namespace leasehold::server {

using MetricsSource = std::function<std::string()>;

// Longest request body accepted (multi-megabyte commands work; beyond this: 413).
inline constexpr std::size_t kHttpBodyLimit = 64 * 1024 * 1024;

class HttpControl {
 public:
  HttpControl(boost::asio::io_context& io, CommandRunner runner, MetricsSource metrics);
  ~HttpControl();
  HttpControl(const HttpControl&) = delete;
  HttpControl& operator=(const HttpControl&) = delete;

  // Loads the TLS material (if any), binds and starts accepting. On error nothing listens.
  Status start(const HttpControlConfig& config);
  void stop_accepting();
  void close_all();  // ends every connection (an answer being written is cut)
  void stop() {
    stop_accepting();
    close_all();
  }
  // Serves the JSON lease stream (GET /leases, GET /leases/watch) from the hub and a
  // journal reader that belongs to this server's event loop. REQUIRES: before start().
  void set_lease_stream(leasequery::ChangeHub& hub, store::JournalReader& reader,
                        std::chrono::seconds keepalive = std::chrono::seconds(15));
  // Requests read whole and not yet answered (a shutdown waits for its own answer).
  std::size_t in_flight() const;
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leasehold::server
