#include "wgdyn/response.h"

#include <gtest/gtest.h>

#include <string>

#include "wgdyn/frame.h"

namespace leasehold::wgdyn {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }

Response granted(Format format) {
  Response r;
  r.format = format;
  r.outcome = Outcome::granted;
  r.ipv4 = addr("192.168.47.11");
  r.ipv6 = addr("fd00::4711");
  r.leasestart = 1555074514;
  r.leasetime_seconds = 3600;
  return r;
}

Response failure(Format format, Outcome outcome, std::string errmsg) {
  Response r;
  r.format = format;
  r.outcome = outcome;
  r.errmsg = std::move(errmsg);
  return r;
}

// --- v1 ---

TEST(ResponseV1, SpecExampleByteForByte) {
  EXPECT_EQ(format_response(granted(Format::v1)),
            "request_ip=1\nipv4=192.168.47.11/32\nipv6=fd00::4711/128\nleasestart=1555074514\n"
            "leasetime=3600\nerrno=0\n\n");
}

TEST(ResponseV1, OnlyGrantedFamilies) {
  auto r = granted(Format::v1);
  r.ipv6.reset();
  EXPECT_EQ(format_response(r),
            "request_ip=1\nipv4=192.168.47.11/32\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
  r = granted(Format::v1);
  r.ipv4.reset();
  EXPECT_EQ(format_response(r),
            "request_ip=1\nipv6=fd00::4711/128\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
}

TEST(ResponseV1, ExtraLinesBeforeErrno) {
  auto r = granted(Format::v1);
  r.ipv6.reset();
  r.extra = {{"dns", "10.0.0.53"}, {"mtu", "1420"}};
  EXPECT_EQ(format_response(r),
            "request_ip=1\nipv4=192.168.47.11/32\nleasestart=1555074514\nleasetime=3600\n"
            "dns=10.0.0.53\nmtu=1420\nerrno=0\n\n");
}

TEST(ResponseV1, ExtraLinesSanitised) {
  auto r = granted(Format::v1);
  r.ipv4.reset();
  r.ipv6.reset();
  r.extra = {{"", "dropped"}, {"errno", "5"},     {"leasetime", "1"},
             {"a=b", "x\ny"},  {"ok", "v\r\x01"}, {"big", std::string(kMaxLine, 'x')}};
  EXPECT_EQ(format_response(r), "request_ip=1\na?b=x?y\nok=v??\nerrno=0\n\n");
}

TEST(ResponseV1, ExtraLinesNeverOverflowTheMessage) {
  auto r = granted(Format::v1);
  for (int i = 0; i < 10; ++i) r.extra.emplace_back("k" + std::to_string(i), std::string(2000, 'v'));
  const std::string out = format_response(r);
  EXPECT_LE(out.size(), kMaxMessage);
  auto frame = find_message(out);
  EXPECT_EQ(frame.status, FrameStatus::complete);
  EXPECT_EQ(frame.length, out.size());
  EXPECT_NE(out.find("k3="), std::string::npos);
  EXPECT_EQ(out.find("k4="), std::string::npos);
}

TEST(ResponseV1, Failures) {
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::internal_error, "database failed")),
            "request_ip=1\nerrno=1\nerrmsg=database failed\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::out_of_addresses, "")),
            "request_ip=1\nerrno=2\nerrmsg=Out of IP addresses\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::invalid, "bad leasetime")),
            "request_ip=1\nerrno=3\nerrmsg=bad leasetime\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::unsupported, "unsupported version")),
            "request_ip=1\nerrno=4\nerrmsg=unsupported version\n\n");
}

TEST(ResponseV1, FailureIgnoresAddresses) {
  auto r = granted(Format::v1);
  r.outcome = Outcome::out_of_addresses;
  EXPECT_EQ(format_response(r), "request_ip=1\nerrno=2\nerrmsg=Out of IP addresses\n\n");
}

TEST(ResponseV1, DefaultErrmsgs) {
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::internal_error, "")),
            "request_ip=1\nerrno=1\nerrmsg=Undefined internal error\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::chosen_unavailable, "")),
            "request_ip=1\nerrno=2\nerrmsg=chosen ip unavailable\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::invalid, "")),
            "request_ip=1\nerrno=3\nerrmsg=invalid request\n\n");
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::unsupported, "")),
            "request_ip=1\nerrno=4\nerrmsg=unsupported command or version\n\n");
}

TEST(ResponseV1, ErrmsgSanitisedAndBounded) {
  using namespace std::string_literals;
  EXPECT_EQ(format_response(failure(Format::v1, Outcome::internal_error, "a\nb\r\n\0c\x80"s)),
            "request_ip=1\nerrno=1\nerrmsg=a?b???c?\n\n");
  const std::string out =
      format_response(failure(Format::v1, Outcome::internal_error, std::string(10000, 'e')));
  EXPECT_EQ(out, "request_ip=1\nerrno=1\nerrmsg=" + std::string(kMaxErrmsg, 'e') + "\n\n");
}

// --- upstream ---

TEST(ResponseUpstream, Success) {
  EXPECT_EQ(format_response(granted(Format::upstream)),
            "ip=192.168.47.11/32\nip=fd00::4711/128\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
}

TEST(ResponseUpstream, OneFamily) {
  auto r = granted(Format::upstream);
  r.ipv4.reset();
  EXPECT_EQ(format_response(r), "ip=fd00::4711/128\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
}

TEST(ResponseUpstream, PureReleaseIsBareErrno) {
  auto r = granted(Format::upstream);
  r.ipv4.reset();
  r.ipv6.reset();
  EXPECT_EQ(format_response(r), "errno=0\n\n");
}

TEST(ResponseUpstream, ExtraLinesNotWritten) {
  auto r = granted(Format::upstream);
  r.ipv6.reset();
  r.extra = {{"dns", "10.0.0.53"}};
  EXPECT_EQ(format_response(r), "ip=192.168.47.11/32\nleasestart=1555074514\nleasetime=3600\nerrno=0\n\n");
}

TEST(ResponseUpstream, Failures) {
  EXPECT_EQ(format_response(failure(Format::upstream, Outcome::invalid, "bad ip")),
            "errno=1\nerrmsg=bad ip\n\n");
  EXPECT_EQ(format_response(failure(Format::upstream, Outcome::unsupported, "")),
            "errno=2\nerrmsg=unsupported command or version\n\n");
  EXPECT_EQ(format_response(failure(Format::upstream, Outcome::chosen_unavailable, "")),
            "errno=3\nerrmsg=chosen ip unavailable\n\n");
  EXPECT_EQ(format_response(failure(Format::upstream, Outcome::out_of_addresses, "")),
            "errno=3\nerrmsg=Out of IP addresses\n\n");
  EXPECT_EQ(format_response(failure(Format::upstream, Outcome::internal_error, "")),
            "errno=1\nerrmsg=Undefined internal error\n\n");
}

// --- code tables ---

TEST(Errno, V1Table) {
  EXPECT_EQ(v1_errno(Outcome::granted), V1Errno::ok);
  EXPECT_EQ(v1_errno(Outcome::internal_error), V1Errno::internal_error);
  EXPECT_EQ(v1_errno(Outcome::out_of_addresses), V1Errno::out_of_addresses);
  EXPECT_EQ(v1_errno(Outcome::chosen_unavailable), V1Errno::out_of_addresses);
  EXPECT_EQ(v1_errno(Outcome::invalid), V1Errno::invalid_request);
  EXPECT_EQ(v1_errno(Outcome::unsupported), V1Errno::unsupported);
  // The spec's numbers must never move.
  EXPECT_EQ(static_cast<int>(V1Errno::internal_error), 1);
  EXPECT_EQ(static_cast<int>(V1Errno::out_of_addresses), 2);
  EXPECT_EQ(static_cast<int>(V1Errno::invalid_request), 3);
  EXPECT_EQ(static_cast<int>(V1Errno::unsupported), 4);
}

TEST(Errno, UpstreamTable) {
  EXPECT_EQ(upstream_errno(Outcome::granted), UpstreamErrno::ok);
  EXPECT_EQ(upstream_errno(Outcome::invalid), UpstreamErrno::invalid_request);
  EXPECT_EQ(upstream_errno(Outcome::internal_error), UpstreamErrno::invalid_request);
  EXPECT_EQ(upstream_errno(Outcome::unsupported), UpstreamErrno::unsupported);
  EXPECT_EQ(upstream_errno(Outcome::chosen_unavailable), UpstreamErrno::chosen_unavailable);
  EXPECT_EQ(upstream_errno(Outcome::out_of_addresses), UpstreamErrno::chosen_unavailable);
  EXPECT_EQ(static_cast<int>(UpstreamErrno::invalid_request), 1);
  EXPECT_EQ(static_cast<int>(UpstreamErrno::unsupported), 2);
  EXPECT_EQ(static_cast<int>(UpstreamErrno::chosen_unavailable), 3);
}

TEST(Errno, ByFormat) {
  EXPECT_EQ(errno_for(Format::v1, Outcome::unsupported), 4u);
  EXPECT_EQ(errno_for(Format::upstream, Outcome::unsupported), 2u);
  EXPECT_EQ(errno_for(Format::v1, Outcome::granted), 0u);
  EXPECT_EQ(errno_for(Format::upstream, Outcome::granted), 0u);
}

// --- rejections ---

TEST(Reject, ParseErrorsAnswerInV1) {
  auto invalid = parse_request("request_ip=1\nipv4=x\n\n");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(format_response(reject(invalid.error())), "request_ip=1\nerrno=3\nerrmsg=bad ipv4\n\n");
  auto upstream_invalid = parse_request("request_ip=1\nip=x\n\n");
  ASSERT_FALSE(upstream_invalid.ok());
  EXPECT_EQ(format_response(reject(upstream_invalid.error())), "request_ip=1\nerrno=3\nerrmsg=bad ip\n\n");
  auto unsupported = parse_request("request_ip=2\n\n");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(format_response(reject(unsupported.error())),
            "request_ip=1\nerrno=4\nerrmsg=unsupported version\n\n");
}

TEST(Reject, FrameErrors) {
  EXPECT_EQ(format_response(reject(FrameStatus::line_too_long)),
            "request_ip=1\nerrno=3\nerrmsg=line too long\n\n");
  EXPECT_EQ(format_response(reject(FrameStatus::message_too_long)),
            "request_ip=1\nerrno=3\nerrmsg=message too long\n\n");
  EXPECT_EQ(format_response(reject(FrameStatus::nul_byte)), "request_ip=1\nerrno=3\nerrmsg=nul byte\n\n");
}

// A v1 answer is itself a well-formed v1 message: its addresses read back as hints.
TEST(RoundTrip, V1SuccessReadsBackAsHints) {
  auto parsed = parse_request(format_response(granted(Format::v1)));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->format, Format::v1);
  EXPECT_EQ(parsed->v4.hint, addr("192.168.47.11"));
  EXPECT_EQ(parsed->v6.hint, addr("fd00::4711"));
  EXPECT_EQ(parsed->leasetime_seconds, 3600u);
}

}  // namespace
}  // namespace leasehold::wgdyn
