#include "wgdyn/client_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "wgdyn/frame.h"
#include "wgdyn/response.h"

namespace leasehold::wgdyn {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }

ClientRequest request(Format format) {
  ClientRequest r;
  r.format = format;
  return r;
}

void expect_corrupt(const std::string& message, const std::string& why) {
  auto parsed = parse_response(message);
  ASSERT_FALSE(parsed.ok()) << message;
  EXPECT_EQ(parsed.error().code, Errc::corruption);
  EXPECT_EQ(parsed.error().message, why) << message;
}

// --- formatting requests ---

TEST(ClientRequestV1, BareRequest) { EXPECT_EQ(format_request(request(Format::v1)), "request_ip=1\n\n"); }

TEST(ClientRequestV1, HintsAndLeasetime) {
  auto r = request(Format::v1);
  r.v4.hint = addr("192.168.47.11");
  r.v6.hint = addr("fd00::4711");
  r.leasetime_seconds = 3600;
  EXPECT_EQ(format_request(r), "request_ip=1\nipv4=192.168.47.11/32\nipv6=fd00::4711/128\nleasetime=3600\n\n");
}

TEST(ClientRequestV1, OneHint) {
  auto r = request(Format::v1);
  r.v6.hint = addr("fd00::1");
  EXPECT_EQ(format_request(r), "request_ip=1\nipv6=fd00::1/128\n\n");
}

TEST(ClientRequestV1, ServerParserAgrees) {
  auto r = request(Format::v1);
  r.v4.hint = addr("10.0.0.7");
  r.leasetime_seconds = 20;
  auto parsed = parse_request(format_request(r));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->format, Format::v1);
  EXPECT_EQ(parsed->v4.want, Want::hint);
  EXPECT_EQ(parsed->v4.hint, addr("10.0.0.7"));
  EXPECT_EQ(parsed->v6.want, Want::keep_or_any);
  EXPECT_EQ(parsed->leasetime_seconds, 20u);
}

TEST(ClientRequestUpstream, AnyOfBoth) {
  EXPECT_EQ(format_request(request(Format::upstream)), "request_ip=1\nip=0.0.0.0/32\nip=::/128\n\n");
}

TEST(ClientRequestUpstream, SpecificAndReleased) {
  auto r = request(Format::upstream);
  r.v4.hint = addr("10.0.0.7");
  r.v6.wanted = false;
  r.leasetime_seconds = 60;
  EXPECT_EQ(format_request(r), "request_ip=1\nip=10.0.0.7/32\nleasetime=60\n\n");
  auto parsed = parse_request(format_request(r));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->format, Format::upstream);
  EXPECT_EQ(parsed->v4.want, Want::hint);
  EXPECT_EQ(parsed->v6.want, Want::release);
}

TEST(ClientRequestUpstream, NothingWantedIsTheEmptyRequest) {
  auto r = request(Format::upstream);
  r.v4.wanted = false;
  r.v6.wanted = false;
  EXPECT_EQ(format_request(r), "request_ip=1\n\n");
}

TEST(ClientRelease, LeasetimeZeroAloneAndTheServerReleasesBothFamilies) {
  EXPECT_EQ(format_release_request(), "request_ip=1\nleasetime=0\n\n");
  auto parsed = parse_request(format_release_request());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->v4.want, Want::release);
  EXPECT_EQ(parsed->v6.want, Want::release);
}

// --- parsing responses ---

TEST(ClientResponseV1, SpecExample) {
  auto r = parse_response(
      "request_ip=1\nipv4=192.168.47.11/32\nipv6=fd00::4711/128\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->format, Format::v1);
  EXPECT_EQ(r->ipv4, net::Prefix(addr("192.168.47.11"), 32));
  EXPECT_EQ(r->ipv6, net::Prefix(addr("fd00::4711"), 128));
  EXPECT_EQ(r->leasestart, 1555074514u);
  EXPECT_EQ(r->leasetime_seconds, 3600u);
  EXPECT_EQ(r->error_number, 0u);
  EXPECT_EQ(r->errmsg, "");
}

TEST(ClientResponseV1, PrefixLengthIsKeptForTheClientToJudge) {
  auto r = parse_response("request_ip=1\nipv4=10.0.0.5/24\nleasestart=1\nleasetime=2\nerrno=0\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ipv4->length(), 24);
  EXPECT_EQ(r->ipv4->address(), addr("10.0.0.5"));
}

TEST(ClientResponseV1, Failure) {
  auto r = parse_response("request_ip=1\nerrno=2\nerrmsg=out of ip addresses\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_number, 2u);
  EXPECT_EQ(r->errmsg, "out of ip addresses");
  EXPECT_FALSE(r->ipv4 || r->ipv6);
}

TEST(ClientResponseV1, UnknownKeysSkipped) {
  auto r = parse_response("request_ip=1\nipv4=10.0.0.5/32\nleasestart=1\nleasetime=2\ndns=10.0.0.53\nerrno=0\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ipv4.has_value());
}

TEST(ClientResponseV1, EveryServerAnswerParses) {
  Response granted;
  granted.format = Format::v1;
  granted.ipv4 = addr("10.1.2.3");
  granted.ipv6 = addr("fd00::5");
  granted.leasestart = 1700000000;
  granted.leasetime_seconds = 20;
  granted.extra = {{"mtu", "1420"}};
  for (Format format : {Format::v1, Format::upstream}) {
    granted.format = format;
    auto r = parse_response(format_response(granted));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->format, format);
    EXPECT_EQ(r->ipv4, net::Prefix(addr("10.1.2.3"), 32));
    EXPECT_EQ(r->ipv6, net::Prefix(addr("fd00::5"), 128));
    EXPECT_EQ(r->leasetime_seconds, 20u);
    for (Outcome outcome : {Outcome::out_of_addresses, Outcome::chosen_unavailable, Outcome::invalid,
                            Outcome::unsupported, Outcome::internal_error}) {
      Response failure;
      failure.format = format;
      failure.outcome = outcome;
      auto f = parse_response(format_response(failure));
      ASSERT_TRUE(f.ok()) << f.error().message;
      EXPECT_EQ(f->error_number, errno_for(format, outcome));
      EXPECT_FALSE(f->errmsg.empty());
    }
  }
}

TEST(ClientResponseUpstream, Success) {
  auto r = parse_response("ip=10.0.0.7/32\nip=fd00::7/128\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->format, Format::upstream);
  EXPECT_EQ(r->ipv4, net::Prefix(addr("10.0.0.7"), 32));
  EXPECT_EQ(r->ipv6, net::Prefix(addr("fd00::7"), 128));
}

TEST(ClientResponseUpstream, PureReleaseAndFailure) {
  auto r = parse_response("errno=0\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->format, Format::upstream);
  EXPECT_FALSE(r->ipv4 || r->ipv6 || r->leasestart || r->leasetime_seconds);
  r = parse_response("errno=3\nerrmsg=chosen ip unavailable\n\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_number, 3u);
}

TEST(ClientResponseStrict, Layout) {
  expect_corrupt("", "missing empty line");
  expect_corrupt("request_ip=1\nerrno=0\n", "missing empty line");
  expect_corrupt("\n", "missing command line");
  expect_corrupt("request_ip=1\nerrno=0\n\nx", "bytes after empty line");
  expect_corrupt("request_ip=1\r\nerrno=0\r\n\r\n", "carriage return in line");
  expect_corrupt(std::string("request_ip=1\nerrno=0\0\n\n", 23), "bad character");
  expect_corrupt("request_ip=1\nerrmsg=" + std::string(kMaxLine, 'x') + "\nerrno=1\n\n", "line too long");
  std::string big = "request_ip=1\n";
  while (big.size() < kMaxMessage) big += "x=" + std::string(1000, 'y') + "\n";
  expect_corrupt(big + "errno=0\n\n", "message too long");
}

TEST(ClientResponseStrict, Lines) {
  expect_corrupt("request_ip=1\nerrno\n\n", "line without '='");
  expect_corrupt("request_ip=1\n=0\n\n", "empty key");
  expect_corrupt("request_ip=2\nerrno=0\n\n", "unsupported version");
  expect_corrupt("request_ip=\nerrno=0\n\n", "unsupported version");
  expect_corrupt("request_ip=1\nrequest_ip=1\nerrno=0\n\n", "duplicate request_ip");
  expect_corrupt("errno=0\nrequest_ip=1\n\n", "duplicate request_ip");
}

TEST(ClientResponseStrict, Numbers) {
  expect_corrupt("request_ip=1\nerrno=-1\n\n", "bad errno");
  expect_corrupt("request_ip=1\nerrno=4294967296\n\n", "bad errno");
  expect_corrupt("request_ip=1\nerrno= 0\n\n", "bad errno");
  expect_corrupt("request_ip=1\nerrno=0\nerrno=0\n\n", "duplicate errno");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/32\nleasestart=1\nleasetime=4294967296\nerrno=0\n\n", "bad leasetime");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/32\nleasestart=9223372036854775808\nleasetime=1\nerrno=0\n\n",
                 "bad leasestart");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/32\nleasestart=1x\nleasetime=1\nerrno=0\n\n", "bad leasestart");
  auto max = parse_response("request_ip=1\nipv4=10.0.0.1/32\nleasestart=9223372036854775807\nleasetime=4294967295\n"
                            "errno=4294967295\n\n");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->leasetime_seconds, 4294967295u);
}

TEST(ClientResponseStrict, Addresses) {
  expect_corrupt("request_ip=1\nipv4=10.0.0.1\nerrno=0\n\n", "bad ipv4: no prefix length");
  expect_corrupt("request_ip=1\nipv4=10.0.0.256/32\nerrno=0\n\n", "bad ipv4");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/33\nerrno=0\n\n", "bad ipv4");
  expect_corrupt("request_ip=1\nipv4=fd00::1/128\nerrno=0\n\n", "wrong family for ipv4");
  expect_corrupt("request_ip=1\nipv6=10.0.0.1/32\nerrno=0\n\n", "wrong family for ipv6");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/32\nipv4=10.0.0.2/32\nerrno=0\n\n", "duplicate ipv4");
  expect_corrupt("request_ip=1\nip=10.0.0.1/32\nerrno=0\n\n", "ip= in a v1 response");
  expect_corrupt("ipv4=10.0.0.1/32\nerrno=0\n\n", "ipv4= in an upstream response");
  expect_corrupt("ip=10.0.0.1/32\nip=10.0.0.2/32\nerrno=0\n\n", "duplicate ip= for ipv4");
  expect_corrupt("ip=fd00::1/128\nip=fd00::2/128\nerrno=0\n\n", "duplicate ip= for ipv6");
}

TEST(ClientResponseStrict, RequiredFields) {
  expect_corrupt("request_ip=1\n\n", "missing errno");
  expect_corrupt("request_ip=1\nipv4=10.0.0.1/32\nleasetime=5\nerrno=0\n\n", "missing leasestart or leasetime");
  expect_corrupt("ip=10.0.0.1/32\nleasestart=5\nerrno=0\n\n", "missing leasestart or leasetime");
  expect_corrupt("request_ip=1\nerrmsg=a\nerrmsg=b\nerrno=1\n\n", "duplicate errmsg");
  // A failure may carry anything: addresses without times are no lease to act on.
  EXPECT_TRUE(parse_response("request_ip=1\nipv4=10.0.0.1/32\nerrno=1\n\n").ok());
}

}  // namespace
}  // namespace leasehold::wgdyn
