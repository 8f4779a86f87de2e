// One measured phase of the benchmark: warm up, then drive a server for a fixed time and
// report throughput, latency percentiles and the server's CPU time per request; and the
// start-up wait that precedes it. Single-threaded; blocks the caller.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "child_process.h"
#include "common/result.h"
#include "load_generator.h"

namespace leasehold::bench {

struct PhaseOptions {
  int connections = 64;
  std::chrono::nanoseconds warmup = std::chrono::seconds(1);
  std::chrono::nanoseconds duration = std::chrono::seconds(5);
};

struct PhaseResult {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  double seconds = 0;
  double requests_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double server_cpu_us_per_request = 0;  // utime+stime delta over the window / ok
  std::string first_error;
  bool peers_exhausted = false;  // the cursor ran out before the window ended
  bool exhausted_in_warmup = false;
};

Result<PhaseResult> run_phase(Endpoint server, const ChildProcess& process, PeerCursor& peers,
                              const PhaseOptions& options, const std::atomic<bool>& stop);

// Probes `server` from `probe_source` every few milliseconds until a request succeeds
// (errno=0), the process dies, `limit` passes or `stop` is set. Returns that response.
Result<std::string> wait_until_serving(ChildProcess& process, Endpoint server,
                                       std::uint32_t probe_source, std::chrono::seconds limit,
                                       const std::atomic<bool>& stop);

}  // namespace leasehold::bench
