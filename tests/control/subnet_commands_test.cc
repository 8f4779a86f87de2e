// The subnet commands through the dispatcher, on a real engine whose configuration is
// applied with the server's own parser: list, get (by id, subnet, index), count, add,
// update, del, and the leases policy (keep, drain, delete) when a subnet shrinks or goes.
#include <gtest/gtest.h>

#include <mutex>

#include "control/dispatcher.h"
#include "control/lease_commands.h"
#include "control/subnet_commands.h"
#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/random_source.h"
#include "control/test_keys.h"
#include "server/config.h"

namespace leasehold::control {
namespace {

using nlohmann::json;


class SubnetCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    running_ = json::parse(R"({
      "request-ip": { "listen": [ "127.0.0.1:0" ] },
      "valid-lifetime": 3600,
      "lease-database": { "type": "memory" },
      "subnet4": [ { "id": 1, "subnet": "10.0.0.0/24", "pools": [ { "pool": "10.0.0.10-10.0.0.200" } ] },
                   { "id": 5, "subnet": "10.5.0.0/24", "pools": [ { "pool": "10.5.0.0/24" } ] } ],
      "subnet6": [ { "id": 1, "subnet": "fd00::/64", "pools": [ { "pool": "fd00::/64" } ] } ] })");
    ASSERT_TRUE(apply(running_));
    SubnetCommandContext ctx{&engine_, &mutex_, [this] { return running_; },
                             [this](json leasehold) { return apply(std::move(leasehold)); }, nullptr};
    ASSERT_TRUE(register_subnet_commands(d_, ctx));
    ASSERT_TRUE(register_lease_commands(d_, LeaseCommandContext{&engine_, &mutex_, nullptr}));
  }

  Status apply(json leasehold) {
    auto cfg = server::parse_config_object(leasehold);
    if (!cfg) return cfg.error();
    std::lock_guard lock(mutex_);
    if (auto st = engine_.configure(cfg->policy); !st) return st;
    running_ = std::move(leasehold);
    return {};
  }

  json run(const std::string& name, const json& args) { return json::parse(d_.handle(json{{"command", name}, {"arguments", args}}.dump())); }
  json run(const std::string& name) { return json::parse(d_.handle(json{{"command", name}}.dump())); }
  void add_lease(const char* ip, const char* key) {
    ASSERT_EQ(run("lease4-add", {{"ip-address", ip}, {"public-key", key}})["result"], 0);
  }

  lease::ManualClock clock_;
  lease::SeededRandom random_{7};
  lease::ChangeFeed feed_;
  lease::Engine engine_{clock_, random_, feed_};
  std::mutex mutex_;
  json running_;
  Dispatcher d_;
};

TEST_F(SubnetCommandsTest, ListGetAndCount) {
  EXPECT_EQ(run("subnet4-list"), json::parse(R"({"result": 0, "text": "2 IPv4 subnets found",
      "arguments": {"subnets": [{"id": 1, "subnet": "10.0.0.0/24"}, {"id": 5, "subnet": "10.5.0.0/24"}]}})"));
  EXPECT_EQ(run("get-subnet6-count")["arguments"]["count"], 1);
  json by_id = run("subnet4-get", {{"id", 5}});
  EXPECT_EQ(by_id["text"], "Info about IPv4 subnet 10.5.0.0/24 (id 5) returned");
  EXPECT_EQ(by_id["arguments"]["subnet4"][0]["pools"][0]["pool"], "10.5.0.0/24");
  EXPECT_EQ(run("subnet4-get", {{"subnet", "10.0.0.0/24"}})["arguments"]["subnet4"][0]["id"], 1);
  EXPECT_EQ(run("get-subnet4", {{"index", 1}})["arguments"]["subnet4"][0]["id"], 5);  // the spec's name
  EXPECT_EQ(run("subnet4-get", {{"id", 9}})["result"], 3);
  EXPECT_EQ(run("subnet4-get", {{"index", 2}})["result"], 3);
  EXPECT_EQ(run("subnet4-get", {{"subnet", "10.0.0.0/99"}})["result"], 1);
  EXPECT_EQ(run("subnet4-get", json::object())["result"], 1);
}

TEST_F(SubnetCommandsTest, AddServesAtOnceAndRefusesClashes) {
  json r = run("subnet4-add", {{"subnet4", {{{"id", 7}, {"subnet", "10.7.0.0/24"}, {"pools", {{{"pool", "10.7.0.5-10.7.0.6"}}}}}}}});
  EXPECT_EQ(r, json::parse(R"({"result": 0, "text": "IPv4 subnet added", "arguments": {"subnets": [{"id": 7, "subnet": "10.7.0.0/24"}]}})"));
  EXPECT_EQ(running_["subnet4"].size(), 3u);
  EXPECT_EQ(engine_.pool_size(net::Family::v4, 7), 2u);
  // Same id: conflict. Overlapping prefix: refused by validation. Nothing changes.
  EXPECT_EQ(run("subnet4-add", {{"subnet4", {{{"id", 7}, {"subnet", "10.8.0.0/24"}}}}})["result"], 4);
  json overlap = run("subnet4-add", {{"subnet4", {{{"id", 8}, {"subnet", "10.7.0.0/16"}}}}});
  EXPECT_EQ(overlap["result"], 1);
  EXPECT_NE(overlap["text"].get<std::string>().find("overlaps"), std::string::npos) << overlap.dump();
  EXPECT_EQ(running_["subnet4"].size(), 3u);
  EXPECT_EQ(run("subnet4-add", {{"subnet4", json::array()}})["result"], 1);
  EXPECT_EQ(run("subnet4-add", {{"subnet4", {{{"subnet", "10.9.0.0/24"}}}}})["result"], 1);  // no id
  EXPECT_EQ(run("subnet4-add")["result"], 1);
}

TEST_F(SubnetCommandsTest, ShrinkWithDeletePolicyRemovesLeasesLeftOutside) {
  add_lease("10.0.0.20", kKeyA);
  add_lease("10.0.0.150", kKeyB);
  json shrunk = {{"id", 1}, {"subnet", "10.0.0.0/24"}, {"pools", {{{"pool", "10.0.0.10-10.0.0.100"}}}}};
  EXPECT_EQ(run("subnet4-update", {{"subnet4", {shrunk}}, {"leases", "delete"}})["result"], 0);
  EXPECT_TRUE(engine_.lease_at(*net::Address::parse("10.0.0.20")));
  EXPECT_FALSE(engine_.lease_at(*net::Address::parse("10.0.0.150")));
  EXPECT_EQ(run("subnet4-update", {{"subnet4", {{{"id", 99}, {"subnet", "10.99.0.0/24"}}}}})["result"], 3);
  EXPECT_EQ(run("subnet4-update", {{"subnet4", {shrunk}}, {"leases", "forget"}})["result"], 1);
}

TEST_F(SubnetCommandsTest, DeleteWithKeepDrainOrDelete) {
  add_lease("10.5.0.9", kKeyA);
  // drain: the lease stays until it ends, but is not renewed.
  EXPECT_EQ(run("subnet4-del", {{"id", 5}, {"leases", "drain"}}),
            json::parse(R"({"result": 0, "text": "IPv4 subnet 5 (10.5.0.0/24) deleted", "arguments": {"subnets": [{"id": 5, "subnet": "10.5.0.0/24"}]}})"));
  EXPECT_TRUE(engine_.draining(*net::Address::parse("10.5.0.9")));
  lease::LeaseRequest renew;
  renew.key = *lease::PublicKey::from_base64(kKeyA);
  auto reply = engine_.request(renew);
  ASSERT_TRUE(reply.v4);
  EXPECT_NE(reply.v4->to_string(), "10.5.0.9");  // moved to a remaining pool
  EXPECT_EQ(run("subnet4-del", {{"id", 5}})["result"], 3);

  // delete: gone at once. keep (default): untouched.
  ASSERT_EQ(run("subnet4-add", {{"subnet4", {{{"id", 5}, {"subnet", "10.5.0.0/24"}}}}})["result"], 0);
  add_lease("10.5.0.30", kKeyB);
  EXPECT_EQ(run("subnet4-del", {{"id", 5}})["result"], 0);
  EXPECT_TRUE(engine_.lease_at(*net::Address::parse("10.5.0.30")));
  ASSERT_EQ(run("subnet4-add", {{"subnet4", {{{"id", 5}, {"subnet", "10.5.0.0/24"}}}}})["result"], 0);
  EXPECT_EQ(run("subnet4-del", {{"id", 5}, {"leases", "delete"}})["result"], 0);
  EXPECT_FALSE(engine_.lease_at(*net::Address::parse("10.5.0.30")));
}

}  // namespace
}  // namespace leasehold::control
