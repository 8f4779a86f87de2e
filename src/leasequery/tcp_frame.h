// The TCP framing shared by DHCPv6 (RFC 5460 / 7653) and DHCPv4 (RFC 6926 / 7724) leasequery:
// every message travels as a 2-octet big-endian length followed by that many octets of body.
// Owns only the framing; what a body means is the codecs' business (dhcp6_wire, dhcp4_wire).
// Pure bytes, no I/O. A FrameReader is a plain value: one per connection, not thread-aware.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"

namespace leasehold::leasequery {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t kMaxFrameBody = 65535;  // what a 2-octet length can say

// The body with its length prefix in front.
// REQUIRES: body.size() <= kMaxFrameBody.
Bytes frame(std::span<const std::uint8_t> body);

// Cuts a TCP byte stream into message bodies.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_body = kMaxFrameBody) : max_body_(max_body) {}
  void feed(std::span<const std::uint8_t> bytes);
  // The next whole body; nullopt until one is complete; an error for a zero or
  // oversized declared length (the stream cannot be resynchronised after that).
  Result<std::optional<Bytes>> next();
  std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::size_t max_body_;
  Bytes buffer_;
  std::size_t start_ = 0;
};

}  // namespace leasehold::leasequery
