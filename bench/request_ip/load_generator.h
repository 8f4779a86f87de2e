// LoadGenerator: drives a request_ip server over loopback TCP with N concurrent one-shot
// connections (connect, request, response, close, as a client does), each bound to its
// peer's own source address. Owns its sockets and latency samples; knows nothing about
// server processes. Single-threaded: every call blocks the calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace leasehold::bench {

// Which peer each new connection uses: first, first+1, ..., first+count-1, then either
// start again from first (wrap) or run out.
class PeerCursor {
 public:
  PeerCursor(std::uint64_t first, std::uint64_t count, bool wrap)
      : first_(first), count_(count), wrap_(wrap) {}
  std::optional<std::uint64_t> next();
  std::uint64_t issued() const { return issued_; }

 private:
  std::uint64_t first_;
  std::uint64_t count_;
  bool wrap_;
  std::uint64_t issued_ = 0;
};

struct Endpoint {
  std::uint32_t address = 0;  // IPv4, host byte order
  std::uint16_t port = 0;
};

// What one run_for() window saw. Requests still in flight when it ends are not counted.
struct WindowStats {
  std::uint64_t ok = 0;      // responses with errno=0
  std::uint64_t errors = 0;  // failed connects, resets, timeouts, responses without errno=0
  std::chrono::nanoseconds elapsed{0};
  std::vector<std::int64_t> latencies_ns;  // one per ok response, connect to response
  std::string first_error;                 // first failure seen, for the report
  bool peers_exhausted = false;            // the cursor ran out before the window ended
};

class LoadGenerator {
 public:
  static constexpr auto kRequestTimeout = std::chrono::seconds(10);

  // REQUIRES: connections >= 1. `stop` aborts a run early (set from a signal handler).
  LoadGenerator(Endpoint server, int connections, const std::atomic<bool>& stop);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Keeps every connection slot busy with peers from `peers` for `duration`. Connections
  // carry over from one call to the next, so a warm-up call can precede a measured one.
  Result<WindowStats> run_for(std::chrono::nanoseconds duration, PeerCursor& peers);

  // Waits (up to `limit`) for the requests in flight and closes every connection, without
  // starting new ones; their results are not reported.
  void drain(std::chrono::nanoseconds limit);

 private:
  struct Slot;
  void start_next(Slot& slot, PeerCursor& peers, WindowStats& stats);
  void on_event(Slot& slot, std::uint32_t events, WindowStats& stats);
  void finish(Slot& slot, bool ok, const char* error, WindowStats& stats);
  void expire_stale(WindowStats& stats);
  bool watch(Slot& slot, std::uint32_t events);

  Endpoint server_;
  const std::atomic<bool>& stop_;
  int epoll_fd_ = -1;
  std::vector<Slot> slots_;
};

// One blocking request from `source` (host byte order) to `server`; the raw response text.
// Used to probe whether a server is up. Fails on connect errors, timeouts and bad framing;
// the caller checks the response content.
Result<std::string> request_once(Endpoint server, std::uint32_t source,
                                 std::chrono::milliseconds timeout);

// True if the response has an "errno=0" line.
bool response_ok(const std::string& response);

// At most `max` bytes of a response, newlines as "\\n", for error messages.
std::string printable(std::string_view text, std::size_t max);

}  // namespace leasehold::bench
