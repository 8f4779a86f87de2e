#include "net/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace leasehold::net {

Address Address::v4(std::uint32_t value) { return Address(Family::v4, value); }
Address Address::v6(uint128 value) { return Address(Family::v6, value); }

Address Address::v6_bytes(const std::array<std::uint8_t, 16>& bytes) {
  uint128 v = 0;
  for (auto b : bytes) v = (v << 8) | b;
  return Address(Family::v6, v);
}

std::array<std::uint8_t, 16> Address::v6_bytes() const {
  std::array<std::uint8_t, 16> out{};
  uint128 v = value_;
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}

Result<Address> Address::parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string; the longest valid text is 45 bytes.
  if (text.empty() || text.size() > 45)
    return make_error(Errc::invalid_argument, "not an IP address");
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) != 1) return make_error(Errc::invalid_argument, "not an IPv4 address");
    return Address::v4(ntohl(a4.s_addr));
  }
  std::array<std::uint8_t, 16> a6{};
  if (inet_pton(AF_INET6, buf, a6.data()) != 1)
    return make_error(Errc::invalid_argument, "not an IPv6 address");
  return Address::v6_bytes(a6);
}

std::string Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr a4{htonl(v4_value())};
    inet_ntop(AF_INET, &a4, buf, sizeof buf);
  } else {
    auto bytes = v6_bytes();
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

static uint128 host_mask(Family f, int length) {
  int host_bits = family_bits(f) - length;
  if (host_bits <= 0) return 0;
  if (host_bits >= 128) return ~uint128{0};
  return (uint128{1} << host_bits) - 1;
}

Prefix::Prefix(Address network, int length) : address_(network), length_(length) {}

static Result<Prefix> parse_prefix(std::string_view text, bool allow_host_bits) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return make_error(Errc::invalid_argument, "missing /length");
  auto addr = Address::parse(text.substr(0, slash));
  if (!addr) return addr.error();
  auto len = parse_uint(text.substr(slash + 1), static_cast<std::uint64_t>(family_bits(addr->family())));
  if (!len) return make_error(Errc::invalid_argument, "bad prefix length");
  int length = static_cast<int>(*len);
  if (!allow_host_bits && (addr->value() & host_mask(addr->family(), length)) != 0)
    return make_error(Errc::invalid_argument, "host bits set in prefix");
  return Prefix(*addr, length);
}

Result<Prefix> Prefix::parse(std::string_view text) { return parse_prefix(text, false); }
Result<Prefix> Prefix::parse_host(std::string_view text) { return parse_prefix(text, true); }

std::string Prefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

static Address with_value(Family f, uint128 v) {
  return f == Family::v4 ? Address::v4(static_cast<std::uint32_t>(v)) : Address::v6(v);
}

Address Prefix::first() const {
  return with_value(family(), address_.value() & ~host_mask(family(), length_));
}

Address Prefix::last() const {
  uint128 v = address_.value() | host_mask(family(), length_);
  if (family() == Family::v4) v &= 0xffffffffu;
  return with_value(family(), v);
}

bool Prefix::contains(const Address& a) const {
  return a.family() == family() && a.value() >= first().value() && a.value() <= last().value();
}

bool Prefix::contains(const Prefix& p) const { return p.length_ >= length_ && contains(p.address_); }

uint128 Prefix::size() const {
  uint128 mask = host_mask(family(), length_);
  return mask == ~uint128{0} ? mask : mask + 1;
}

Result<Range> Range::parse(std::string_view text) {
  if (text.find('/') != std::string_view::npos) {
    auto p = Prefix::parse(text);
    if (!p) return p.error();
    return Range{p->first(), p->last()};
  }
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    return make_error(Errc::invalid_argument, "expected a prefix a/len or a range a-b");
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  auto a = Address::parse(trim(text.substr(0, dash)));
  if (!a) return a.error();
  auto b = Address::parse(trim(text.substr(dash + 1)));
  if (!b) return b.error();
  if (a->family() != b->family()) return make_error(Errc::invalid_argument, "range mixes IPv4 and IPv6");
  if (b->value() < a->value()) return make_error(Errc::invalid_argument, "range end is before its start");
  return Range{*a, *b};
}

std::string Range::to_string() const { return first.to_string() + "-" + last.to_string(); }

std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v > max) return std::nullopt;
  return v;
}

std::string to_string(uint128 value) {
  if (value == 0) return "0";
  std::string s;
  while (value) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  }
  return s;
}

}  // namespace leasehold::net
