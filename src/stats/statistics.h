// Statistics: the server's named counters and gauges, as Kea's statistics manager shows
// them ("pkt4-received", "subnet[1].assigned-addresses"), and latency histograms for
// /metrics. Values are atomics that request threads bump without a lock; the name table
// takes a lock only when a statistic is first created or listed. Each statistic keeps one
// sample: its value and the time it last changed (Kea keeps up to 20; see docs/control.md).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leasehold::stats {

class Stat {
 public:
  void add(std::int64_t delta);
  void set(std::int64_t value);
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }
  std::int64_t changed_us() const { return changed_us_.load(std::memory_order_relaxed); }  // wall, microseconds
  bool present() const { return present_.load(std::memory_order_relaxed); }
  void reset() { set(0); }
  void remove();  // hidden and zero until it next changes (Kea re-creates a removed statistic)

 private:
  std::atomic<std::int64_t> value_{0};
  std::atomic<std::int64_t> changed_us_{0};
  std::atomic<bool> present_{true};
};

struct Sample {
  std::string name;
  std::int64_t value;
  std::int64_t changed_us;
};

class Registry {
 public:
  // The statistic of that name, created (zero, now) on first use. The reference stays
  // valid for the registry's life, so hot paths look a name up once.
  Stat& get(std::string_view name);
  Stat* find(std::string_view name);  // nullptr if never created or removed
  std::vector<Sample> snapshot() const;  // present statistics, by name
  void reset_all();
  void remove_all();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Stat>, std::less<>> stats_;
};

// Cumulative histogram with fixed upper bounds (seconds), for Prometheus.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025,  0.05,    0.1,    0.25,  0.5,    1.0,  2.5};
  void observe(double seconds);
  struct View {
    std::array<std::uint64_t, kBounds.size()> cumulative{};  // observations <= bound
    std::uint64_t count = 0;
    double sum = 0;
  };
  View view() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: above every bound
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Kea's timestamp text: "2026-11-24 01:02:03.123456" (local time).
std::string kea_time(std::int64_t micros);
std::int64_t now_us();

}  // namespace leasehold::stats
