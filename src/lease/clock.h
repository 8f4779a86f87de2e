// Clock: the engine's only source of time, injected so tests can move it by hand.
// Wall time stamps leases (leasestart, cltt); monotonic time schedules expiry, so a
// wall-clock jump neither expires leases early nor keeps them alive.
#pragma once

#include <chrono>
#include <cstdint>

namespace leasehold::lease {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t wall_seconds() const = 0;       // seconds since the Unix epoch
  virtual std::int64_t monotonic_seconds() const = 0;  // never goes back; arbitrary origin
};

class SystemClock final : public Clock {
 public:
  std::int64_t wall_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::int64_t monotonic_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch()).count();
  }
};

// A clock that only moves when told to. For tests and simulations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t wall = 1'700'000'000, std::int64_t mono = 1000)
      : wall_(wall), mono_(mono) {}
  std::int64_t wall_seconds() const override { return wall_; }
  std::int64_t monotonic_seconds() const override { return mono_; }
  void advance(std::int64_t seconds) { wall_ += seconds; mono_ += seconds; }
  void jump_wall(std::int64_t seconds) { wall_ += seconds; }  // wall clock set by an admin/NTP

 private:
  std::int64_t wall_;
  std::int64_t mono_;
};

}  // namespace leasehold::lease
