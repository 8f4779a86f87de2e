// PublicKey: the 32-byte identity of a peer (WireGuard Curve25519 key or Anode key).
// A plain value type with base64 text form; hashing for the engine's peer index.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace leasehold::lease {

class PublicKey {
 public:
  static constexpr std::size_t kSize = 32;
  PublicKey() = default;
  explicit PublicKey(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Exactly 44 characters of canonical base64 (as `wg genkey | wg pubkey` prints).
  static Result<PublicKey> from_base64(std::string_view text);
  std::string to_base64() const;

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
  friend auto operator<=>(const PublicKey&, const PublicKey&) = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

}  // namespace leasehold::lease
