// Statistics: the registry's Kea semantics (reset, remove and re-creation), the address
// statistics the change feed drives, the statistic commands' answers, and the Prometheus
// text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/dispatcher.h"
#include "control/statistic_commands.h"
#include "stats/lease_statistics.h"
#include "stats/prometheus.h"
#include "stats/statistics.h"

namespace leasehold::stats {
namespace {

using nlohmann::json;

lease::LeaseChange change(lease::LeaseChange::Kind kind, const char* address, std::uint32_t subnet) {
  lease::LeaseChange c{kind, {}};
  c.record.address = *net::Address::parse(address);
  c.record.subnet_id = subnet;
  return c;
}

TEST(Registry, RemovedStatisticComesBackWhenItChanges) {
  Registry r;
  Stat& s = r.get("x");
  s.add(5);
  EXPECT_EQ(r.find("x")->value(), 5);
  s.remove();
  EXPECT_EQ(r.find("x"), nullptr);
  EXPECT_TRUE(r.snapshot().empty());
  s.add(1);
  ASSERT_NE(r.find("x"), nullptr);
  EXPECT_EQ(r.find("x")->value(), 1);
  r.reset_all();
  EXPECT_EQ(r.find("x")->value(), 0);
}

TEST(LeaseStatistics, FollowsGrantsReleasesAndExpiries) {
  Registry r;
  LeaseStatistics ls(r);
  ls.configure({{net::Family::v4, 1, 250}, {net::Family::v6, 1, 1000}});
  using K = lease::LeaseChange::Kind;
  ls.on_change(change(K::grant, "10.0.0.5", 1));
  ls.on_change(change(K::grant, "10.0.0.6", 1));
  ls.on_change(change(K::renew, "10.0.0.6", 1));
  ls.on_change(change(K::grant, "fd00::5", 1));
  ls.on_change(change(K::release, "10.0.0.5", 1));
  ls.on_change(change(K::expire, "fd00::5", 1));
  ls.on_change(change(K::remove, "fd00::5", 1));
  EXPECT_EQ(r.find("subnet[1].total-addresses")->value(), 250);
  EXPECT_EQ(r.find("subnet[1].total-nas")->value(), 1000);
  EXPECT_EQ(r.find("subnet[1].assigned-addresses")->value(), 1);
  EXPECT_EQ(r.find("subnet[1].cumulative-assigned-addresses")->value(), 2);
  EXPECT_EQ(r.find("subnet[1].reclaimed-leases")->value(), 0);
  EXPECT_EQ(r.find("subnet[1].assigned-nas")->value(), 0);
  EXPECT_EQ(r.find("subnet[1].reclaimed-nas")->value(), 1);
  EXPECT_EQ(r.find("assigned-addresses")->value(), 1);
  EXPECT_EQ(r.find("reclaimed-nas")->value(), 1);
  // A subnet that leaves the configuration takes its statistics with it.
  ls.configure({{net::Family::v4, 1, 250}});
  EXPECT_EQ(r.find("subnet[1].total-nas"), nullptr);
  EXPECT_NE(r.find("subnet[1].total-addresses"), nullptr);
}

class StatisticCommands : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(control::register_statistic_commands(d_, r_)); }
  json run(const std::string& text) { return json::parse(d_.handle(text)); }
  Registry r_;
  control::Dispatcher d_;
};

TEST_F(StatisticCommands, GetAnswersWithKeasSampleShape) {
  r_.get("request-ip-received").add(3);
  json got = run(R"({"command": "statistic-get", "arguments": {"name": "request-ip-received"}})");
  EXPECT_EQ(got["result"], 0);
  EXPECT_FALSE(got.contains("text"));
  ASSERT_EQ(got["arguments"]["request-ip-received"].size(), 1u);
  EXPECT_EQ(got["arguments"]["request-ip-received"][0][0], 3);
  std::string when = got["arguments"]["request-ip-received"][0][1];
  EXPECT_EQ(when.size(), 26u) << when;  // "2026-11-24 01:02:03.123456"
  EXPECT_EQ(run(R"({"command": "statistic-get", "arguments": {"name": "nope"}})"),
            json({{"arguments", json::object()}, {"result", 0}}));
  EXPECT_EQ(run(R"({"command": "statistic-get", "arguments": {}})"),
            json({{"result", 1}, {"text", "Missing mandatory 'name' parameter."}}));
  EXPECT_EQ(run(R"({"command": "statistic-get-all"})")["arguments"].size(), 1u);
}

TEST_F(StatisticCommands, ResetAndRemove) {
  r_.get("a").add(7);
  EXPECT_EQ(run(R"({"command": "statistic-reset", "arguments": {"name": "a"}})"),
            json({{"result", 0}, {"text", "Statistic 'a' reset."}}));
  EXPECT_EQ(r_.find("a")->value(), 0);
  EXPECT_EQ(run(R"({"command": "statistic-reset", "arguments": {"name": "b"}})"),
            json({{"result", 1}, {"text", "No 'b' statistic found"}}));
  EXPECT_EQ(run(R"({"command": "statistic-remove", "arguments": {"name": "a"}})")["result"], 0);
  EXPECT_EQ(run(R"({"command": "statistic-get-all"})"), json({{"arguments", json::object()}, {"result", 0}}));
  r_.get("c").add(2);
  EXPECT_EQ(run(R"({"command": "statistic-reset-all"})")["text"], "All statistics reset to neutral values.");
  EXPECT_EQ(r_.find("c")->value(), 0);
  EXPECT_EQ(run(R"({"command": "statistic-remove-all"})")["result"], 0);
  EXPECT_EQ(r_.find("c"), nullptr);
}

TEST(Prometheus, SubnetAndRequestStatisticsBecomeLabelledMetrics) {
  Registry r;
  r.get("subnet[2].total-addresses").set(100);
  r.get("subnet[2].assigned-nas").set(4);
  r.get("request-ip-granted").add(9);
  r.get("request-ip-refused-unknown-peer").add(1);
  Histogram h;
  h.observe(0.0003);
  h.observe(0.002);
  h.observe(9);
  std::string text = prometheus_text(r.snapshot(), {{"leasehold_grant_latency_seconds", "help", &h}});
  EXPECT_NE(text.find("# TYPE leasehold_pool_size gauge\nleasehold_pool_size{family=\"ipv4\",subnet=\"2\"} 100\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_pool_assigned{family=\"ipv6\",subnet=\"2\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE leasehold_request_ip_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_request_ip_requests_total{outcome=\"granted\"} 9\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_request_ip_requests_total{outcome=\"refused-unknown-peer\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("leasehold_grant_latency_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_grant_latency_seconds_bucket{le=\"0.0025\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_grant_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("leasehold_grant_latency_seconds_count 3\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace leasehold::stats
