#include "phase.h"

#include <algorithm>
#include <thread>

namespace leasehold::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDrainLimit = std::chrono::seconds(2);
constexpr auto kProbeInterval = std::chrono::milliseconds(2);
constexpr auto kProbeTimeout = std::chrono::milliseconds(1000);

// Nearest-rank percentile, q in [0, 1]. Reorders `samples`.
double percentile_ms(std::vector<std::int64_t>& samples, double q) {
  if (samples.empty()) return 0;
  auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(rank), samples.end());
  return static_cast<double>(samples[rank]) / 1e6;
}

}  // namespace

Result<PhaseResult> run_phase(Endpoint server, const ChildProcess& process, PeerCursor& peers,
                              const PhaseOptions& options, const std::atomic<bool>& stop) {
  LoadGenerator generator(server, options.connections, stop);
  Result<WindowStats> warm = generator.run_for(options.warmup, peers);
  if (!warm) return warm.error();

  Result<std::chrono::nanoseconds> cpu_before = process.cpu_time();
  if (!cpu_before) return cpu_before.error();
  Result<WindowStats> window = generator.run_for(options.duration, peers);
  if (!window) return window.error();
  Result<std::chrono::nanoseconds> cpu_after = process.cpu_time();
  if (!cpu_after) return cpu_after.error();
  generator.drain(kDrainLimit);

  WindowStats& w = *window;
  PhaseResult r;
  r.ok = w.ok;
  r.errors = w.errors;
  r.seconds = std::chrono::duration<double>(w.elapsed).count();
  r.requests_per_second = r.seconds > 0 ? static_cast<double>(w.ok) / r.seconds : 0;
  r.p50_ms = percentile_ms(w.latencies_ns, 0.50);
  r.p99_ms = percentile_ms(w.latencies_ns, 0.99);
  r.max_ms = w.latencies_ns.empty()
                 ? 0
                 : static_cast<double>(*std::max_element(w.latencies_ns.begin(), w.latencies_ns.end())) / 1e6;
  auto cpu_ns = static_cast<double>((*cpu_after - *cpu_before).count());
  r.server_cpu_us_per_request = w.ok > 0 ? cpu_ns / 1e3 / static_cast<double>(w.ok) : 0;
  r.first_error = !w.first_error.empty() ? w.first_error : warm->first_error;
  r.peers_exhausted = warm->peers_exhausted || w.peers_exhausted;
  r.exhausted_in_warmup = warm->peers_exhausted;
  return r;
}

Result<std::string> wait_until_serving(ChildProcess& process, Endpoint server,
                                       std::uint32_t probe_source, std::chrono::seconds limit,
                                       const std::atomic<bool>& stop) {
  const auto deadline = Clock::now() + limit;
  std::string last_error = "no probe sent";
  for (;;) {
    Result<std::string> reply = request_once(server, probe_source, kProbeTimeout);
    if (reply && response_ok(*reply)) return reply;
    last_error = reply ? "response without errno=0: \"" + printable(*reply, 120) + "\"" : reply.error().message;
    if (process.exited())
      return make_error(Errc::unavailable, "server " + process.exit_description() +
                                               " before answering; last probe: " + last_error);
    if (stop.load()) return make_error(Errc::unavailable, "interrupted");
    if (Clock::now() >= deadline)
      return make_error(Errc::unavailable, "server did not answer within " +
                                               std::to_string(limit.count()) + " s; last probe: " + last_error);
    std::this_thread::sleep_for(kProbeInterval);
  }
}

}  // namespace leasehold::bench
