#include "lease/random_source.h"

namespace leasehold::lease {

net::uint128 RandomSource::below(net::uint128 bound) {
  using net::uint128;
  if (bound <= 1) return 0;
  if (bound <= (uint128{1} << 64) && bound != (uint128{1} << 64)) {
    auto b = static_cast<std::uint64_t>(bound);
    // Largest multiple of b that fits in 2^64; draws at or above it are rejected.
    std::uint64_t limit = UINT64_MAX - (UINT64_MAX % b + 1) % b;
    for (;;) {
      std::uint64_t x = next64();
      if (x <= limit) return x % b;
    }
  }
  // Wider bounds: draw 128 bits and reject above the largest multiple of bound.
  uint128 max = ~uint128{0};
  uint128 limit = max - (max % bound + 1) % bound;
  for (;;) {
    uint128 x = (uint128{next64()} << 64) | next64();
    if (x <= limit) return x % bound;
  }
}

}  // namespace leasehold::lease
