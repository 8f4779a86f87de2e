// net: IP addresses, prefixes and ranges as plain values, with strict text parsing.
// Owns only representation and arithmetic; no sockets, no system calls. Thread-safe (values).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace leasehold::net {

__extension__ using uint128 = unsigned __int128;

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

inline const char* family_name(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }
inline int family_bits(Family f) { return f == Family::v4 ? 32 : 128; }

// An IPv4 or IPv6 address. IPv4 is held as the numeric value, IPv6 as a 128-bit number, so
// that pools can do arithmetic on both the same way.
class Address {
 public:
  Address() = default;
  static Address v4(std::uint32_t value);
  static Address v6(uint128 value);
  static Address v6_bytes(const std::array<std::uint8_t, 16>& bytes);

  // Accepts dotted-quad IPv4 or RFC 4291/5952 IPv6 text; nothing else (no zone, no prefix).
  static Result<Address> parse(std::string_view text);
  std::string to_string() const;

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  // Numeric value: IPv4 in the low 32 bits.
  uint128 value() const { return value_; }
  std::uint32_t v4_value() const { return static_cast<std::uint32_t>(value_); }
  std::array<std::uint8_t, 16> v6_bytes() const;

  friend bool operator==(const Address&, const Address&) = default;
  friend std::strong_ordering operator<=>(const Address& a, const Address& b) {
    if (a.family_ != b.family_) return a.family_ <=> b.family_;
    return a.value_ == b.value_ ? std::strong_ordering::equal
           : a.value_ < b.value_ ? std::strong_ordering::less
                                 : std::strong_ordering::greater;
  }

 private:
  Address(Family f, uint128 v) : family_(f), value_(v) {}
  Family family_ = Family::v4;
  uint128 value_ = 0;
};

// An address with a prefix length, e.g. 10.47.0.0/16. Host bits must be zero unless
// parse_host() is used (which keeps them, for "ipv4=10.0.0.5/32"-style values).
class Prefix {
 public:
  Prefix() = default;
  Prefix(Address network, int length);
  static Result<Prefix> parse(std::string_view text);       // host bits must be zero
  static Result<Prefix> parse_host(std::string_view text);  // host bits allowed
  std::string to_string() const;

  const Address& address() const { return address_; }
  int length() const { return length_; }
  Family family() const { return address_.family(); }
  Address first() const;
  Address last() const;
  bool contains(const Address& a) const;
  bool contains(const Prefix& p) const;
  // Number of addresses, saturated at 2^128-1 for ::/0.
  uint128 size() const;

  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  Address address_;
  int length_ = 0;
};

// An inclusive range [first, last] within one family.
struct Range {
  Address first;
  Address last;
  static Result<Range> parse(std::string_view text);  // "a-b" or a prefix
  uint128 size() const { return last.value() - first.value() + 1; }
  bool contains(const Address& a) const {
    return a.family() == first.family() && a.value() >= first.value() && a.value() <= last.value();
  }
  bool overlaps(const Range& o) const {
    return first.family() == o.first.family() && first.value() <= o.last.value() &&
           o.first.value() <= last.value();
  }
  std::string to_string() const;
};

// Parses a decimal unsigned number with no sign, no spaces, no trailing bytes, <= max.
std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max);

std::string to_string(uint128 value);

}  // namespace leasehold::net
