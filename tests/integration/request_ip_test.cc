// The request_ip protocol against the real server binary over loopback TCP.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "harness.h"

namespace leasehold::testing {
namespace {

class RequestIpTest : public ::testing::Test {
 protected:
  void start_with(const std::string& config) {
    std::ofstream(dir_.file("server.json")) << config;
    server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
    port_ = server_->start();
    ASSERT_NE(port_, 0) << server_->log();
  }
  void start(std::uint32_t peers = 8, const std::string& request_ip_extra = "") {
    start_with(make_config(dir_.file("leases.db"), peers, "", request_ip_extra));
  }
  std::map<std::string, std::string> ask(std::uint32_t peer, const std::string& message = "request_ip=1\n\n") {
    Client c(peer_source(peer), port_);
    EXPECT_TRUE(c.connected());
    return parse_lines(c.request(message));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t port_ = 0;
};

TEST_F(RequestIpTest, GrantsBothFamiliesInTheSpecFormat) {
  start();
  Client c(peer_source(0), port_);
  std::string resp = c.request("request_ip=1\n\n");
  auto kv = parse_lines(resp);
  EXPECT_EQ(resp.rfind("request_ip=1\nipv4=10.47.", 0), 0u) << resp;
  EXPECT_EQ(kv["errno"], "0");
  EXPECT_EQ(kv["leasetime"], "3600");
  EXPECT_LE(std::llabs(std::stoll(kv["leasestart"]) - static_cast<long long>(time(nullptr))), 5);
  EXPECT_EQ(kv["ipv4"].substr(kv["ipv4"].size() - 3), "/32");
  EXPECT_EQ(kv["ipv6"].rfind("fd00:47::", 0), 0u);
  EXPECT_EQ(kv["ipv6"].substr(kv["ipv6"].size() - 4), "/128");
  // The order of lines is the spec's.
  auto pos = [&](const char* k) { return resp.find(std::string("\n") + k + "="); };
  EXPECT_LT(pos("ipv4"), pos("ipv6"));
  EXPECT_LT(pos("ipv6"), pos("leasestart"));
  EXPECT_LT(pos("leasestart"), pos("leasetime"));
  EXPECT_LT(pos("leasetime"), pos("errno"));
}

TEST_F(RequestIpTest, SeveralRequestsOnOneConnectionRenewTheSameLease) {
  start();
  Client c(peer_source(1), port_);
  auto first = parse_lines(c.request("request_ip=1\n\n"));
  auto second = parse_lines(c.request("request_ip=1\nipv4=" + first["ipv4"] + "\nleasetime=120\n\n"));
  EXPECT_EQ(second["errno"], "0");
  EXPECT_EQ(second["ipv4"], first["ipv4"]);
  EXPECT_EQ(second["ipv6"], first["ipv6"]);
  EXPECT_EQ(second["leasetime"], "120");
  auto third = parse_lines(c.request("request_ip=1\nipv4=10.47.1.1/32\nleasetime=5\n\n"));
  EXPECT_NE(third["ipv4"], first["ipv4"]);  // not held: a fresh random address
  EXPECT_EQ(third["leasetime"], "60");      // clamped to min-valid-lifetime
}

TEST_F(RequestIpTest, UpstreamFormatIsAnsweredInKind) {
  start();
  Client c(peer_source(2), port_);
  std::string resp = c.request("request_ip=1\nip=0.0.0.0/32\nip=::/128\n\n");
  EXPECT_EQ(resp.rfind("ip=10.47.", 0), 0u) << resp;
  auto kv = parse_lines(resp);
  EXPECT_EQ(kv["errno"], "0");
  std::string v4 = kv["ip"].substr(0, kv["ip"].find(','));
  // Keep v4, drop v6 (a family left out is released).
  std::string resp2 = c.request("request_ip=1\nip=" + v4 + "\n\n");
  EXPECT_EQ(resp2.rfind("ip=" + v4 + "\nleasestart=", 0), 0u) << resp2;
  // A specific address not held: upstream code 3.
  auto kv3 = parse_lines(c.request("request_ip=1\nip=10.47.9.9/32\n\n"));
  EXPECT_EQ(kv3["errno"], "3");
}

TEST_F(RequestIpTest, UnknownSourceIsRefusedAndNothingChanges) {
  start(2);
  Client stranger(peer_source(50), port_);
  ASSERT_TRUE(stranger.connected());
  stranger.send("request_ip=1\n\n");
  EXPECT_TRUE(stranger.closed_by_server());
  EXPECT_NE(server_->log().find("not a known peer"), std::string::npos);
  server_->stop();
  // Nothing was written for it.
  std::string out = run_server_command({"--check-config", "--config", dir_.file("server.json")}).output;
  EXPECT_NE(out.find("configuration OK"), std::string::npos);
}

TEST_F(RequestIpTest, SourcePortIsEnforced) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to bind port 970";
  start(2, ", \"require-source-port\": 970");
  Client wrong(peer_source(0), port_);
  wrong.send("request_ip=1\n\n");
  EXPECT_TRUE(wrong.closed_by_server());
  Client right(peer_source(0), port_, 970);
  ASSERT_TRUE(right.connected());
  EXPECT_EQ(parse_lines(right.request("request_ip=1\n\n"))["errno"], "0");
}

struct Malformed {
  std::string bytes;
  std::string errno_value;
};

class MalformedInput : public RequestIpTest, public ::testing::WithParamInterface<Malformed> {};

TEST_P(MalformedInput, GetsAnErrorResponseThenClose) {
  start();
  Client c(peer_source(3), port_);
  ASSERT_TRUE(c.send(GetParam().bytes));
  std::string resp = c.read_response();
  auto kv = parse_lines(resp);
  EXPECT_EQ(kv["errno"], GetParam().errno_value) << resp;
  EXPECT_FALSE(kv["errmsg"].empty());
  EXPECT_TRUE(c.closed_by_server());
  // And the peer got nothing: its next request is a fresh grant, served normally.
  EXPECT_EQ(ask(3)["errno"], "0");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedInput,
    ::testing::Values(Malformed{"hello\n\n", "3"}, Malformed{"request_ip=2\n\n", "4"},
                      Malformed{"get_config=1\n\n", "4"}, Malformed{"request_ip=1\nipv4=10.47.0.300/32\n\n", "3"},
                      Malformed{"request_ip=1\nleasetime=-1\n\n", "3"},
                      Malformed{"request_ip=1\nipv4=10.47.0.1/24\n\n", "3"},
                      Malformed{std::string("request_ip=1\nfoo=b\0r\n\n", 22), "3"},
                      Malformed{"request_ip=1\n" + std::string(5000, 'x'), "3"},
                      Malformed{"request_ip=1\n" + [] {
                        std::string s;
                        for (int i = 0; i < 300; ++i) s += "unknown" + std::to_string(i) + "=" + std::string(30, 'v') + "\n";
                        return s;
                      }(), "3"}));

TEST_F(RequestIpTest, PartialWritesAreCompletedForAClientThatReadsLate) {
  start();
  // A tiny receive window, and more pipelined answers (about 6 MB) than the kernel's send
  // buffer holds (4 MB at most): the server must finish partial writes as the client reads.
  // The requests ask for an address the peer does not hold (upstream format), so each is
  // answered at once with errno 3 and no store commit, keeping the test fast.
  Client c(peer_source(5), port_, 0, 4096);
  ASSERT_TRUE(c.connected());
  constexpr int kRequests = 150'000;
  std::string burst;
  for (int i = 0; i < kRequests; ++i) burst += "request_ip=1\nip=10.47.9.9/32\n\n";
  std::thread writer([&] { c.send(burst); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // read late
  int answered = 0;
  for (; answered < kRequests; ++answered) {
    std::string resp = c.read_response(20000);
    if (resp != "errno=3\nerrmsg=chosen ip unavailable\n\n") {
      ADD_FAILURE() << "answer " << answered << ": " << resp;
      break;
    }
  }
  writer.join();
  EXPECT_EQ(answered, kRequests);
  EXPECT_EQ(ask(6)["errno"], "0");  // and the server still serves others
}

TEST_F(RequestIpTest, UnknownKeysAreIgnored) {
  start();
  EXPECT_EQ(ask(4, "request_ip=1\nflavour=vanilla\n\n")["errno"], "0");
}

TEST_F(RequestIpTest, SilentClientsAreCutOffAndOthersAreServed) {
  start(8, ", \"idle-timeout\": 1");
  Client silent(peer_source(5), port_);
  Client trickle(peer_source(6), port_);
  trickle.send("request_ip=1\n");  // never finishes its request
  EXPECT_EQ(ask(7)["errno"], "0");  // others are not blocked meanwhile
  EXPECT_TRUE(silent.closed_by_server(4000));
  EXPECT_TRUE(trickle.closed_by_server(4000));
}

TEST_F(RequestIpTest, ConnectionCapRefusesTheSurplusOnly) {
  start(8, ", \"max-connections\": 2");
  Client a(peer_source(0), port_), b(peer_source(1), port_);
  ASSERT_TRUE(a.connected() && b.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Client c(peer_source(2), port_);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(parse_lines(a.request("request_ip=1\n\n"))["errno"], "0");
}

TEST_F(RequestIpTest, OutOfAddressesIsErrno2AndPartialSuccessIsErrno0) {
  std::string cfg = make_config(dir_.file("leases.db"), 4, "", "", "10.47.0.1-10.47.0.1");
  start_with(cfg);
  auto first = ask(0);
  EXPECT_EQ(first["ipv4"], "10.47.0.1/32");
  auto second = ask(1);  // IPv4 exhausted, IPv6 still granted
  EXPECT_EQ(second["errno"], "0");
  EXPECT_EQ(second.count("ipv4"), 0u);
  EXPECT_EQ(second.count("ipv6"), 1u);
  server_->stop();
  // Without IPv6 pools, the second peer gets nothing at all.
  auto v6 = cfg.find("  \"subnet6\"");
  cfg.erase(v6, cfg.find('\n', v6) + 1 - v6);
  auto db = cfg.find("leases.db");
  cfg.replace(db, 9, "other.db");
  start_with(cfg);
  ASSERT_EQ(ask(0)["ipv4"], "10.47.0.1/32");
  auto third = ask(2);
  EXPECT_EQ(third["errno"], "2");
  EXPECT_EQ(third["errmsg"], "Out of IP addresses") ;
  EXPECT_EQ(third.count("ipv4"), 0u);
}

}  // namespace
}  // namespace leasehold::testing
