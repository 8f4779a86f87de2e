#include "wgdyn/request.h"

#include <gtest/gtest.h>

#include <string>

#include "wgdyn/frame.h"

namespace leasehold::wgdyn {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }

Request parse_ok(const std::string& message) {
  auto r = parse_request(message);
  EXPECT_TRUE(r.ok()) << message << " -> " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Request{};
}

void expect_error(const std::string& message, RequestFault fault, const std::string& text) {
  auto r = parse_request(message);
  ASSERT_FALSE(r.ok()) << message;
  EXPECT_EQ(request_fault(r.error()), fault) << message;
  EXPECT_EQ(r.error().code, fault == RequestFault::invalid ? Errc::invalid_argument : kUnsupportedErrc);
  EXPECT_EQ(r.error().message, text) << message;
}

void expect_invalid(const std::string& message, const std::string& text) {
  expect_error(message, RequestFault::invalid, text);
}

// --- spec v1 ---

TEST(RequestV1, EmptyRequestWantsAddressesOfBothFamilies) {
  auto r = parse_ok("request_ip=1\n\n");
  EXPECT_EQ(r.format, Format::v1);
  EXPECT_EQ(r.v4.want, Want::keep_or_any);
  EXPECT_EQ(r.v6.want, Want::keep_or_any);
  EXPECT_FALSE(r.leasetime_seconds);
}

TEST(RequestV1, AllAttributes) {
  auto r = parse_ok("request_ip=1\nipv4=192.168.47.11/32\nipv6=fd00::4711/128\nleasetime=3600\n\n");
  EXPECT_EQ(r.format, Format::v1);
  EXPECT_EQ(r.v4.want, Want::hint);
  EXPECT_EQ(r.v4.hint, addr("192.168.47.11"));
  EXPECT_EQ(r.v6.want, Want::hint);
  EXPECT_EQ(r.v6.hint, addr("fd00::4711"));
  EXPECT_EQ(r.leasetime_seconds, 3600u);
}

TEST(RequestV1, BareAddressesAccepted) {
  auto r = parse_ok("request_ip=1\nipv4=10.0.0.7\nipv6=fd00::7\n\n");
  EXPECT_EQ(r.v4.hint, addr("10.0.0.7"));
  EXPECT_EQ(r.v6.hint, addr("fd00::7"));
}

TEST(RequestV1, OneFamilyHinted) {
  auto r = parse_ok("request_ip=1\nipv6=fd00::1/128\n\n");
  EXPECT_EQ(r.v4.want, Want::keep_or_any);
  EXPECT_EQ(r.v6.want, Want::hint);
}

TEST(RequestV1, LeasetimeZeroAloneReleasesEverything) {
  Request r = parse_ok("request_ip=1\nleasetime=0\n\n");
  EXPECT_EQ(r.format, Format::upstream);
  EXPECT_EQ(r.v4.want, Want::release);
  EXPECT_EQ(r.v6.want, Want::release);
  // With a hint it is an ordinary v1 request (the engine clamps the lease time).
  Request hinted = parse_ok("request_ip=1\nipv4=10.0.0.1/32\nleasetime=0\n\n");
  EXPECT_EQ(hinted.format, Format::v1);
  EXPECT_EQ(hinted.leasetime_seconds, 0u);
}

TEST(RequestV1, LeasetimeBounds) {
  EXPECT_EQ(parse_ok("request_ip=1\nleasetime=4294967295\n\n").leasetime_seconds, 4294967295u);
  expect_invalid("request_ip=1\nleasetime=4294967296\n\n", "bad leasetime");
  for (const char* bad : {"", "-1", "+5", " 5", "5 ", "0x10", "1e3", "99999999999999999999999"})
    expect_invalid(std::string("request_ip=1\nleasetime=") + bad + "\n\n", "bad leasetime");
}

TEST(RequestV1, UnknownKeysIgnored) {
  auto r = parse_ok("request_ip=1\nfuture=thing\nipv4=10.0.0.1/32\nx=\nleasestart=5\n\n");
  EXPECT_EQ(r.format, Format::v1);
  EXPECT_EQ(r.v4.hint, addr("10.0.0.1"));
}

TEST(RequestV1, ValueMayContainEquals) {
  auto r = parse_ok("request_ip=1\nfuture=a=b\n\n");
  EXPECT_EQ(r.format, Format::v1);
}

TEST(RequestV1, BadAddresses) {
  expect_invalid("request_ip=1\nipv4=10.0.0.256/32\n\n", "bad ipv4");
  expect_invalid("request_ip=1\nipv4=\n\n", "bad ipv4");
  expect_invalid("request_ip=1\nipv4=10.0.0.1/\n\n", "bad ipv4");
  expect_invalid("request_ip=1\nipv4=10.0.0.1/33\n\n", "bad ipv4");
  expect_invalid("request_ip=1\nipv4= 10.0.0.1/32\n\n", "bad ipv4");
  expect_invalid("request_ip=1\nipv6=fd00::g/128\n\n", "bad ipv6");
  expect_invalid("request_ip=1\nipv6=fe80::1%wg0/128\n\n", "bad ipv6");
}

TEST(RequestV1, WrongPrefixLength) {
  expect_invalid("request_ip=1\nipv4=10.0.0.0/24\n\n", "ipv4 prefix is not /32");
  expect_invalid("request_ip=1\nipv4=10.0.0.1/0\n\n", "ipv4 prefix is not /32");
  expect_invalid("request_ip=1\nipv6=fd00::/64\n\n", "ipv6 prefix is not /128");
}

TEST(RequestV1, WrongFamily) {
  expect_invalid("request_ip=1\nipv4=fd00::1/128\n\n", "wrong family for ipv4");
  expect_invalid("request_ip=1\nipv6=10.0.0.1/32\n\n", "wrong family for ipv6");
  expect_invalid("request_ip=1\nipv6=10.0.0.1\n\n", "wrong family for ipv6");
}

TEST(RequestV1, DuplicateKnownKeys) {
  expect_invalid("request_ip=1\nipv4=10.0.0.1\nipv4=10.0.0.2\n\n", "duplicate ipv4");
  expect_invalid("request_ip=1\nipv6=fd00::1\nipv6=fd00::1\n\n", "duplicate ipv6");
  expect_invalid("request_ip=1\nleasetime=1\nleasetime=1\n\n", "duplicate leasetime");
  expect_invalid("request_ip=1\nrequest_ip=1\n\n", "duplicate request_ip");
}

TEST(RequestV1, DuplicateUnknownKeysIgnored) {
  EXPECT_EQ(parse_ok("request_ip=1\nx=1\nx=2\n\n").format, Format::v1);
}

// --- later upstream format ---

TEST(RequestUpstream, AnyOfBothFamilies) {
  auto r = parse_ok("request_ip=1\nip=0.0.0.0/32\nip=::/128\n\n");
  EXPECT_EQ(r.format, Format::upstream);
  EXPECT_EQ(r.v4.want, Want::keep_or_any);
  EXPECT_EQ(r.v6.want, Want::keep_or_any);
}

TEST(RequestUpstream, MissingFamilyMeansRelease) {
  auto r = parse_ok("request_ip=1\nip=0.0.0.0/32\n\n");
  EXPECT_EQ(r.format, Format::upstream);
  EXPECT_EQ(r.v4.want, Want::keep_or_any);
  EXPECT_EQ(r.v6.want, Want::release);
  r = parse_ok("request_ip=1\nip=::/128\n\n");
  EXPECT_EQ(r.v4.want, Want::release);
  EXPECT_EQ(r.v6.want, Want::keep_or_any);
}

TEST(RequestUpstream, SpecificAddresses) {
  auto r = parse_ok("request_ip=1\nip=fd00::7/128\nip=10.0.0.7/32\nleasetime=60\n\n");
  EXPECT_EQ(r.format, Format::upstream);
  EXPECT_EQ(r.v4.want, Want::hint);
  EXPECT_EQ(r.v4.hint, addr("10.0.0.7"));
  EXPECT_EQ(r.v6.want, Want::hint);
  EXPECT_EQ(r.v6.hint, addr("fd00::7"));
  EXPECT_EQ(r.leasetime_seconds, 60u);
}

TEST(RequestUpstream, BareAddressAccepted) {
  auto r = parse_ok("request_ip=1\nip=10.0.0.7\n\n");
  EXPECT_EQ(r.v4.hint, addr("10.0.0.7"));
  EXPECT_EQ(r.v6.want, Want::release);
}

TEST(RequestUpstream, UnknownKeysIgnored) {
  auto r = parse_ok("request_ip=1\nfoo=bar\nip=::/128\n\n");
  EXPECT_EQ(r.format, Format::upstream);
}

TEST(RequestUpstream, AtMostOnePerFamily) {
  expect_invalid("request_ip=1\nip=0.0.0.0/32\nip=10.0.0.1/32\n\n", "duplicate ip= for ipv4");
  expect_invalid("request_ip=1\nip=::/128\nip=10.0.0.1/32\nip=::/128\n\n", "duplicate ip= for ipv6");
}

TEST(RequestUpstream, PrefixMustBeHostLength) {
  expect_invalid("request_ip=1\nip=0.0.0.0/0\n\n", "ip prefix is not /32");
  expect_invalid("request_ip=1\nip=::/0\n\n", "ip prefix is not /128");
  expect_invalid("request_ip=1\nip=10.0.0.0/8\n\n", "ip prefix is not /32");
}

TEST(RequestUpstream, BadAddress) {
  expect_invalid("request_ip=1\nip=\n\n", "bad ip");
  expect_invalid("request_ip=1\nip=any\n\n", "bad ip");
  expect_invalid("request_ip=1\nip=10.0.0.1/32x\n\n", "bad ip");
}

TEST(RequestUpstream, MixingWithV1KeysIsInvalid) {
  const char* text = "ip= mixed with ipv4= or ipv6=";
  expect_invalid("request_ip=1\nip=0.0.0.0/32\nipv6=fd00::1/128\n\n", text);
  expect_invalid("request_ip=1\nipv4=10.0.0.1/32\nip=::/128\n\n", text);
  expect_invalid("request_ip=1\nipv4=10.0.0.1/32\nip=10.0.0.1/32\n\n", text);
}

// --- command line and layout ---

TEST(RequestCommand, UnsupportedCommandOrVersion) {
  expect_error("request_ipv4=1\n\n", RequestFault::unsupported, "unsupported command");
  expect_error("Request_ip=1\n\n", RequestFault::unsupported, "unsupported command");
  expect_error("hello=1\nip=::/128\n\n", RequestFault::unsupported, "unsupported command");
  expect_error("request_ip=2\n\n", RequestFault::unsupported, "unsupported version");
  expect_error("request_ip=0\n\n", RequestFault::unsupported, "unsupported version");
  auto r = parse_request("request_ip=2\n\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kUnsupportedErrc);
}

TEST(RequestCommand, MalformedCommandLine) {
  expect_invalid("request_ip\n\n", "first line is not command=version");
  expect_invalid("=1\n\n", "first line is not command=version");
  expect_invalid("request_ip=\n\n", "bad version");
  expect_invalid("request_ip=one\n\n", "bad version");
  expect_invalid("request_ip=1 \n\n", "bad version");
  expect_invalid("request_ip=-1\n\n", "bad version");
}

TEST(RequestLayout, BodyLineErrors) {
  expect_invalid("request_ip=1\nipv4\n\n", "line without '='");
  expect_invalid("request_ip=1\n=10.0.0.1\n\n", "empty key");
  expect_invalid("request_ip=1\n=\n\n", "empty key");
}

TEST(RequestLayout, CarriageReturnRejected) {
  expect_invalid("request_ip=1\r\n\r\n", "carriage return in line");
  expect_invalid("request_ip=1\nipv4=10.0.0.1/32\r\n\n", "carriage return in line");
}

TEST(RequestLayout, NonPrintableBytesRejected) {
  using namespace std::string_literals;
  for (const std::string& bad : {"\t"s, "\x01"s, "\x1f"s, "\x7f"s, "\x80"s, "\xff"s, "\0"s})
    expect_invalid("request_ip=1\nx=a" + bad + "b\n\n", "bad character");
  expect_invalid("request_ip=1\n\x7f=1\n\n", "bad character");
}

TEST(RequestLayout, SpaceAndTildeAreFine) {
  EXPECT_EQ(parse_ok("request_ip=1\nnote=a b ~\n\n").format, Format::v1);
}

TEST(RequestLayout, StructureErrors) {
  expect_invalid("", "missing empty line");
  expect_invalid("request_ip=1\n", "missing empty line");
  expect_invalid("request_ip=1", "missing empty line");
  expect_invalid("\n", "missing command line");
  expect_invalid("request_ip=1\n\nx", "bytes after empty line");
  expect_invalid("request_ip=1\n\nrequest_ip=1\n\n", "bytes after empty line");
}

TEST(RequestLayout, LimitsRecheckedForUnframedInput) {
  // "x=" + text + "\n": kMaxLine - 3 bytes of text fill the line exactly.
  std::string long_line = "request_ip=1\nx=" + std::string(kMaxLine - 2, 'a') + "\n\n";
  expect_invalid(long_line, "line too long");
  std::string fits = "request_ip=1\nx=" + std::string(kMaxLine - 3, 'a') + "\n\n";
  EXPECT_TRUE(parse_request(fits).ok());
  std::string big = "request_ip=1\n";
  while (big.size() <= kMaxMessage) big += "x=" + std::string(100, 'a') + "\n";
  expect_invalid(big + "\n", "message too long");
}

TEST(RequestLayout, LayoutCheckedBeforeCommand) {
  expect_invalid("hello=1\r\n\n", "carriage return in line");
}

TEST(RequestFaultOf, Mapping) {
  EXPECT_EQ(request_fault(make_error(Errc::invalid_argument, "x")), RequestFault::invalid);
  EXPECT_EQ(request_fault(make_error(kUnsupportedErrc, "x")), RequestFault::unsupported);
}

}  // namespace
}  // namespace leasehold::wgdyn
