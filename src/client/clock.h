// client::Clock: the lease keeper's only source of time, in milliseconds, injected so that
// tests move it by hand. Wall time reads and writes leasestart (seconds since the epoch);
// monotonic time schedules renewals and expiry, so a wall-clock jump changes neither.
#pragma once

#include <chrono>
#include <cstdint>

namespace leasehold::client {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t wall_ms() const = 0;  // milliseconds since the Unix epoch
  virtual std::int64_t mono_ms() const = 0;  // never goes back; arbitrary origin
};

class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override { return since_epoch(std::chrono::system_clock::now()); }
  std::int64_t mono_ms() const override { return since_epoch(std::chrono::steady_clock::now()); }

 private:
  template <class TimePoint>
  static std::int64_t since_epoch(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
};

// Moves only when told to. For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t wall_ms = 1'700'000'000'000, std::int64_t mono_ms = 1'000'000)
      : wall_(wall_ms), mono_(mono_ms) {}
  std::int64_t wall_ms() const override { return wall_; }
  std::int64_t mono_ms() const override { return mono_; }
  void advance_ms(std::int64_t ms) { wall_ += ms; mono_ += ms; }
  void jump_wall_ms(std::int64_t ms) { wall_ += ms; }  // an administrator or NTP set the clock

 private:
  std::int64_t wall_;
  std::int64_t mono_;
};

}  // namespace leasehold::client
