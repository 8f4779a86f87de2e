// RandomSource: uniform integers for the allocator, injected so tests are repeatable.
// The production source is seeded from the operating system; it is not a CSPRNG
// (addresses need uniformity, not secrecy). Not thread-safe: one per engine.
#pragma once

#include <cstdint>
#include <random>

#include "net/address.h"

namespace leasehold::lease {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual std::uint64_t next64() = 0;

  // Uniform in [0, bound). REQUIRES: bound > 0. Rejection sampling: no modulo bias.
  net::uint128 below(net::uint128 bound);
};

class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  static SeededRandom from_os() {
    std::random_device rd;
    return SeededRandom((std::uint64_t{rd()} << 32) ^ rd());
  }
  std::uint64_t next64() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace leasehold::lease
