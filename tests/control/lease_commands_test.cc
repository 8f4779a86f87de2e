// The lease commands through the dispatcher, on a real engine with a manual clock: each
// command's success, not-found, bad-argument and conflict answers, and that every change
// reaches the change feed.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "control/dispatcher.h"
#include "control/lease_commands.h"
#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/random_source.h"
#include "control/test_keys.h"

namespace leasehold::control {
namespace {

using nlohmann::json;

const char* const kKeyR = kKeyC;

lease::PublicKey key(const char* b64) { return *lease::PublicKey::from_base64(b64); }

class LeaseCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    feed_.subscribe([this](const lease::LeaseChange& c) { changes_.push_back(c); });
    lease::Policy p;
    p.valid_lifetime = 3600;
    p.min_valid_lifetime = 60;
    p.max_valid_lifetime = 86400;
    lease::SubnetSpec s4{1, *net::Prefix::parse("10.0.0.0/24"), {*lease::PoolDef::parse("10.0.0.10-10.0.0.20")}};
    lease::SubnetSpec s4b{7, *net::Prefix::parse("10.9.0.0/24"), {}};
    lease::SubnetSpec s6{1, *net::Prefix::parse("fd00::/64"), {*lease::PoolDef::parse("fd00::/64")}};
    p.subnets = {s4, s4b, s6};
    p.reservations.push_back({key(kKeyR), *net::Address::parse("10.0.0.99"), std::nullopt});
    ASSERT_TRUE(engine_.configure(p));
    LeaseCommandContext ctx{&engine_, &mutex_, [this] { ++after_change_; }};
    ASSERT_TRUE(register_lease_commands(dispatcher_, ctx));
  }

  json run(const json& command) { return json::parse(dispatcher_.handle(command.dump())); }
  json run(const std::string& name, const json& args) { return run(json{{"command", name}, {"arguments", args}}); }

  json add4(const std::string& ip, const char* k = kKeyA) {
    return run("lease4-add", {{"ip-address", ip}, {"public-key", k}});
  }

  lease::ManualClock clock_;
  lease::SeededRandom random_{42};
  lease::ChangeFeed feed_;
  lease::Engine engine_{clock_, random_, feed_};
  std::mutex mutex_;
  Dispatcher dispatcher_;
  std::vector<lease::LeaseChange> changes_;
  int after_change_ = 0;
};

TEST_F(LeaseCommandsTest, AddThenGetByAddressAndByIdentifier) {
  json r = run("lease4-add", {{"ip-address", "10.0.0.50"}, {"public-key", kKeyA}, {"valid-lft", 600},
                              {"hostname", "Peer-A.example."}, {"user-context", {{"rack", 4}}}});
  EXPECT_EQ(r, json({{"result", 0}, {"text", "Lease for address 10.0.0.50, subnet-id 1 added."}}));
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].kind, lease::LeaseChange::Kind::grant);
  EXPECT_EQ(after_change_, 1);

  json got = run("lease4-get", {{"ip-address", "10.0.0.50"}});
  EXPECT_EQ(got["result"], 0);
  EXPECT_EQ(got["text"], "IPv4 lease found.");
  const json& l = got["arguments"];
  EXPECT_EQ(l["ip-address"], "10.0.0.50");
  EXPECT_EQ(l["public-key"], kKeyA);
  EXPECT_EQ(l["subnet-id"], 1);
  EXPECT_EQ(l["valid-lft"], 600);
  EXPECT_EQ(l["cltt"], clock_.wall_seconds());
  EXPECT_EQ(l["expire"], clock_.wall_seconds() + 600);
  EXPECT_EQ(l["hostname"], "peer-a.example.");
  EXPECT_EQ(l["state"], 0);
  EXPECT_EQ(l["user-context"], json({{"rack", 4}}));

  json by_id = run("lease4-get", {{"identifier-type", "public-key"}, {"identifier", kKeyA}, {"subnet-id", 1}});
  EXPECT_EQ(by_id["arguments"], l);
  json other_subnet = run("lease4-get", {{"identifier-type", "public-key"}, {"identifier", kKeyA}, {"subnet-id", 7}});
  EXPECT_EQ(other_subnet, json({{"result", 3}, {"text", "Lease not found."}}));
}

TEST_F(LeaseCommandsTest, AddedLeaseIsNotDrawnForAnotherPeer) {
  // The pool has 11 addresses; an administrative lease on one leaves 10 for requests.
  ASSERT_EQ(add4("10.0.0.15")["result"], 0);
  std::set<net::Address> drawn;
  for (int i = 0; i < 10; ++i) {
    std::array<std::uint8_t, 32> bytes{};
    bytes[0] = static_cast<std::uint8_t>(i + 1);
    lease::LeaseRequest req;
    req.key = lease::PublicKey(bytes);
    auto reply = engine_.request(req);
    ASSERT_TRUE(reply.v4);
    drawn.insert(*reply.v4);
  }
  EXPECT_EQ(drawn.size(), 10u);
  EXPECT_FALSE(drawn.count(*net::Address::parse("10.0.0.15")));
}

TEST_F(LeaseCommandsTest, AddRefusesWithKeaTexts) {
  EXPECT_EQ(run(json{{"command", "lease4-add"}}), json({{"result", 1}, {"text", "no parameters specified for the command"}}));
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}}),
            json({{"result", 1}, {"text", "missing parameter 'public-key'"}}));
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.5.0.5"}, {"public-key", kKeyA}}),
            json({{"result", 1}, {"text", "subnet-id not specified and failed to find a subnet for address 10.5.0.5"}}));
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}, {"public-key", kKeyA}, {"subnet-id", 99}}),
            json({{"result", 1}, {"text", "Invalid subnet-id: No IPv4 subnet with subnet-id=99 currently configured."}}));
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}, {"public-key", kKeyA}, {"subnet-id", 7}}),
            json({{"result", 1}, {"text", "The address 10.0.0.5 does not belong to subnet 10.9.0.0/24, subnet-id=7"}}));
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.300"}, {"public-key", kKeyA}})["result"], 1);
  EXPECT_EQ(run("lease4-add", {{"ip-address", "fd00::5"}, {"public-key", kKeyA}})["text"],
            "Invalid IPv4 address specified: fd00::5");
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}, {"public-key", "short"}})["result"], 1);
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}, {"public-key", kKeyA}, {"hostname", "bad_name"}})["result"], 1);
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.5"}, {"public-key", kKeyA}, {"valid-lft", "1"}})["text"],
            "invalid type specified for parameter 'valid-lft'");
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.0"}, {"public-key", kKeyA}})["result"], 1);  // network address
  EXPECT_TRUE(changes_.empty());
}

TEST_F(LeaseCommandsTest, AddConflicts) {
  ASSERT_EQ(add4("10.0.0.50")["result"], 0);
  EXPECT_EQ(add4("10.0.0.50", kKeyB), json({{"result", 4}, {"text", "IPv4 lease already exists."}}));
  // One IPv4 lease per peer.
  EXPECT_EQ(add4("10.0.0.51")["result"], 4);
  // 10.0.0.99 is reserved for kKeyR: another peer may not have it, its owner may.
  EXPECT_EQ(add4("10.0.0.99", kKeyB), json({{"result", 4}, {"text", "The address 10.0.0.99 is reserved for another peer."}}));
  EXPECT_EQ(add4("10.0.0.99", kKeyR)["result"], 0);
  EXPECT_EQ(changes_.size(), 2u);
}

TEST_F(LeaseCommandsTest, UpdateRewritesOrMovesOrCreates) {
  ASSERT_EQ(add4("10.0.0.50")["result"], 0);
  json r = run("lease4-update", {{"ip-address", "10.0.0.50"}, {"public-key", kKeyA}, {"valid-lft", 7200}, {"hostname", "h1"}});
  EXPECT_EQ(r, json({{"result", 0}, {"text", "IPv4 lease updated."}}));
  EXPECT_EQ(changes_.back().kind, lease::LeaseChange::Kind::renew);
  json got = run("lease4-get", {{"ip-address", "10.0.0.50"}});
  EXPECT_EQ(got["arguments"]["valid-lft"], 7200);
  EXPECT_EQ(got["arguments"]["hostname"], "h1");

  // Another peer takes the address over: the old binding is released first.
  changes_.clear();
  EXPECT_EQ(run("lease4-update", {{"ip-address", "10.0.0.50"}, {"public-key", kKeyB}})["result"], 0);
  ASSERT_EQ(changes_.size(), 2u);
  EXPECT_EQ(changes_[0].kind, lease::LeaseChange::Kind::release);
  EXPECT_EQ(changes_[0].record.key, key(kKeyA));
  EXPECT_EQ(changes_[1].kind, lease::LeaseChange::Kind::grant);
  EXPECT_FALSE(engine_.lease_of(key(kKeyA)));

  json missing = run("lease4-update", {{"ip-address", "10.0.0.77"}, {"public-key", kKeyA}});
  EXPECT_EQ(missing["result"], 3);
  json forced = run("lease4-update", {{"ip-address", "10.0.0.77"}, {"public-key", kKeyA}, {"force-create", true}});
  EXPECT_EQ(forced, json({{"result", 0}, {"text", "IPv4 lease added."}}));
  // Updating to a reserved address's other peer is a conflict, and changes nothing.
  ASSERT_EQ(add4("10.0.0.99", kKeyR)["result"], 0);
  changes_.clear();
  EXPECT_EQ(run("lease4-update", {{"ip-address", "10.0.0.99"}, {"public-key", kKeyB}})["result"], 4);
  EXPECT_TRUE(changes_.empty());
}

TEST_F(LeaseCommandsTest, DeleteByAddressOrIdentifierInBothModes) {
  ASSERT_EQ(add4("10.0.0.50")["result"], 0);
  ASSERT_EQ(add4("10.0.0.51", kKeyB)["result"], 0);
  changes_.clear();
  EXPECT_EQ(run("lease4-del", {{"ip-address", "10.0.0.50"}}), json({{"result", 0}, {"text", "IPv4 lease deleted."}}));
  ASSERT_EQ(changes_.size(), 2u);  // release, then the row removed at once
  EXPECT_EQ(changes_[1].kind, lease::LeaseChange::Kind::remove);
  EXPECT_EQ(run("lease4-del", {{"ip-address", "10.0.0.50"}}), json({{"result", 3}, {"text", "IPv4 lease not found."}}));

  changes_.clear();
  json r = run("lease4-del", {{"identifier-type", "public-key"}, {"identifier", kKeyB}, {"subnet-id", 1}, {"mode", "release"}});
  EXPECT_EQ(r["result"], 0);
  ASSERT_FALSE(changes_.empty());
  EXPECT_EQ(changes_[0].kind, lease::LeaseChange::Kind::release);
  EXPECT_EQ(run("lease4-del", {{"ip-address", "10.0.0.51"}, {"mode", "erase"}})["result"], 1);
  EXPECT_EQ(run("lease4-del", {{"identifier-type", "hw-address"}, {"identifier", "aa:bb"}, {"subnet-id", 1}})["result"], 1);
  EXPECT_EQ(run("lease4-del", {{"identifier-type", "public-key"}, {"identifier", kKeyB}})["text"],
            "Mandatory 'subnet-id' parameter missing.");
}

TEST_F(LeaseCommandsTest, GetAllPagesAndWipe) {
  EXPECT_EQ(run(json{{"command", "lease4-get-all"}}),
            json({{"result", 3}, {"text", "0 IPv4 lease(s) found."}, {"arguments", {{"leases", json::array()}}}}));
  ASSERT_EQ(add4("10.0.0.52")["result"], 0);
  ASSERT_EQ(add4("10.9.0.5", kKeyB)["result"], 0);     // outside every pool
  ASSERT_EQ(add4("10.0.0.12", kKeyR)["result"], 0);    // inside the pool
  json all = run(json{{"command", "lease4-get-all"}});
  EXPECT_EQ(all["text"], "3 IPv4 lease(s) found.");
  ASSERT_EQ(all["arguments"]["leases"].size(), 3u);
  EXPECT_EQ(all["arguments"]["leases"][0]["ip-address"], "10.0.0.12");  // address order
  EXPECT_EQ(all["arguments"]["leases"][1]["ip-address"], "10.0.0.52");
  EXPECT_EQ(all["arguments"]["leases"][2]["ip-address"], "10.9.0.5");
  EXPECT_EQ(run("lease4-get-all", {{"subnets", {7}}})["arguments"]["leases"].size(), 1u);
  EXPECT_EQ(run("lease4-get-all", {{"subnets", {"7"}}})["result"], 1);

  json page = run("lease4-get-page", {{"from", "start"}, {"limit", 2}});
  EXPECT_EQ(page["arguments"]["count"], 2);
  json next = run("lease4-get-page", {{"from", "10.0.0.52"}, {"limit", 2}});
  EXPECT_EQ(next["arguments"]["count"], 1);
  EXPECT_EQ(next["arguments"]["leases"][0]["ip-address"], "10.9.0.5");
  json end = run("lease4-get-page", {{"from", "10.9.0.5"}, {"limit", 2}});
  EXPECT_EQ(end["result"], 3);
  EXPECT_EQ(run("lease4-get-page", {{"from", "start"}, {"limit", 0}})["result"], 1);
  EXPECT_EQ(run("lease4-get-page", {{"limit", 3}})["text"], "missing parameter 'from'");

  EXPECT_EQ(run("lease4-wipe", {{"subnet-id", 7}}), json({{"result", 0}, {"text", "Deleted 1 IPv4 lease(s) from subnet(s) 7"}}));
  EXPECT_EQ(run("lease4-wipe", {{"subnet-id", 7}})["result"], 3);
  EXPECT_EQ(run("lease4-wipe", {{"subnet-id", 8}}), json({{"result", 3}, {"text", "Deleted 0 IPv4 lease(s) from subnet(s) 8"}}));
  EXPECT_EQ(run(json{{"command", "lease4-wipe"}})["text"], "Deleted 2 IPv4 lease(s) from subnet(s) 1 7");
  EXPECT_EQ(engine_.binding_count(), 0u);
}

TEST_F(LeaseCommandsTest, Lease6AndSpecAliases) {
  json r = run("add-lease6", {{"ip-address", "fd00::1:2"}, {"public-key", kKeyA}, {"type", "IA_NA"}, {"duid", "01:02"}, {"iaid", 5}});
  EXPECT_EQ(r, json({{"result", 0}, {"text", "Lease for address fd00::1:2, subnet-id 1 added."}}));
  json got = run("get-lease6", {{"ip-address", "fd00::1:2"}});
  EXPECT_EQ(got["text"], "IPv6 lease found.");
  EXPECT_EQ(got["arguments"]["type"], "IA_NA");
  EXPECT_EQ(got["arguments"]["prefix-len"], 128);
  EXPECT_EQ(run("lease6-add", {{"ip-address", "fd00::9"}, {"public-key", kKeyB}, {"type", "IA_PD"}})["result"], 1);
  EXPECT_EQ(run("lease6-wipe", {{"identifier-type", "public-key"}, {"identifier", kKeyA}})["result"], 0);
  EXPECT_EQ(run("delete-lease6", {{"ip-address", "fd00::1:2"}})["result"], 3);
  auto listed = dispatcher_.list();
  EXPECT_NE(std::find(listed.begin(), listed.end(), "lease6-get-page"), listed.end());
  EXPECT_EQ(std::find(listed.begin(), listed.end(), "get-lease6"), listed.end());
}

// Kea's own example (shared/reference/kea/10-lease4-add.txt): an expiry years ahead, and
// "expire" without "valid-lft" (the configured lifetime then).
TEST_F(LeaseCommandsTest, KeasFarFutureExpireAndExpireWithoutLifetime) {
  json r = run("lease4-add", {{"ip-address", "10.0.0.70"}, {"public-key", kKeyA}, {"valid-lft", 3600}, {"expire", 1900000000},
                              {"hostname", "myhost.example.com."}, {"state", 0}, {"user-context", {{"property1", 42}}},
                              {"hw-address", "1a:1b:1c:1d:1e:1f"}, {"fqdn-fwd", true}});
  EXPECT_EQ(r["result"], 0) << r.dump();
  EXPECT_EQ(run("lease4-get", {{"ip-address", "10.0.0.70"}})["arguments"]["cltt"], 1900000000 - 3600);
  json no_lft = run("lease4-add", {{"ip-address", "10.0.0.71"}, {"public-key", kKeyB}, {"expire", clock_.wall_seconds() + 100}});
  EXPECT_EQ(no_lft["result"], 0) << no_lft.dump();
  EXPECT_EQ(run("lease4-get", {{"ip-address", "10.0.0.71"}})["arguments"]["cltt"], clock_.wall_seconds() + 100 - 3600);
  EXPECT_EQ(run("lease4-update", json::object())["result"], 1);
  EXPECT_EQ(run(json{{"command", "lease4-update"}})["text"], "no parameters specified for lease4-update command");
}

TEST_F(LeaseCommandsTest, AddedLeaseExpiresAndExpireKeyIsHonoured) {
  json r = run("lease4-add", {{"ip-address", "10.0.0.60"}, {"public-key", kKeyA}, {"valid-lft", 100},
                              {"expire", clock_.wall_seconds() + 50}});
  ASSERT_EQ(r["result"], 0);
  EXPECT_EQ(run("lease4-get", {{"ip-address", "10.0.0.60"}})["arguments"]["cltt"], clock_.wall_seconds() - 50);
  clock_.advance(51);
  engine_.expire_due();
  EXPECT_EQ(run("lease4-get", {{"ip-address", "10.0.0.60"}})["result"], 3);
  EXPECT_EQ(run("lease4-add", {{"ip-address", "10.0.0.61"}, {"public-key", kKeyA}, {"valid-lft", 10},
                               {"cltt", clock_.wall_seconds() - 20}})["result"], 1);
}

}  // namespace
}  // namespace leasehold::control
