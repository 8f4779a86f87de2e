// The reservation commands through the dispatcher, on a real engine and a memory store:
// add / get / update / del / get-all / get-page with success, not found, bad arguments
// and conflict; the engine serving a peer's reservation; stored ones coming back.
#include <gtest/gtest.h>

#include <mutex>

#include "control/dispatcher.h"
#include "control/reservation_commands.h"
#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/random_source.h"
#include "control/test_keys.h"
#include "store/memory_store.h"

namespace leasehold::control {
namespace {

using nlohmann::json;


class ReservationCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lease::Policy p;
    p.subnets = {{1, *net::Prefix::parse("10.0.0.0/24"), {*lease::PoolDef::parse("10.0.0.10-10.0.0.200")}},
                 {1, *net::Prefix::parse("fd00::/64"), {*lease::PoolDef::parse("fd00::/64")}}};
    p.reservations.push_back({*lease::PublicKey::from_base64(kKeyC), *net::Address::parse("10.0.0.3"), std::nullopt});
    ASSERT_TRUE(engine_.configure(p));
    running_ = json::parse(std::string(R"({"reservations": [{"public-key": ")") + kKeyC + R"(", "ip-addresses": ["10.0.0.3"]}]})");
    register_commands(d_);
  }
  void register_commands(Dispatcher& d) {
    std::vector<std::string> warnings;
    ReservationCommandContext ctx{&engine_, &mutex_, [this] { return running_; }, &store_, nullptr, nullptr};
    ASSERT_TRUE(register_reservation_commands(d, ctx, warnings));
    warnings_ = warnings;
  }
  json run(const std::string& name, const json& args) { return json::parse(d_.handle(json{{"command", name}, {"arguments", args}}.dump())); }
  json host_a() const {
    return {{"public-key", kKeyA}, {"ip-address", "10.0.0.50"}, {"ip-addresses", {"fd00::50"}}, {"hostname", "Alpha"}};
  }

  lease::ManualClock clock_;
  lease::SeededRandom random_{3};
  lease::ChangeFeed feed_;
  lease::Engine engine_{clock_, random_, feed_};
  std::mutex mutex_;
  store::MemoryStore store_;
  json running_;
  Dispatcher d_;
  std::vector<std::string> warnings_;
};

TEST_F(ReservationCommandsTest, AddIsServedToThePeerAndStored) {
  EXPECT_EQ(run("reservation-add", {{"reservation", host_a()}}), json({{"result", 0}, {"text", "Host added."}}));
  lease::LeaseRequest req;
  req.key = *lease::PublicKey::from_base64(kKeyA);
  auto reply = engine_.request(req);
  ASSERT_TRUE(reply.v4 && reply.v6);
  EXPECT_EQ(reply.v4->to_string(), "10.0.0.50");
  EXPECT_EQ(reply.v6->to_string(), "fd00::50");
  json got = run("reservation-get", {{"identifier-type", "public-key"}, {"identifier", kKeyA}});
  EXPECT_EQ(got["text"], "Host found.");
  EXPECT_EQ(got["arguments"]["hostname"], "alpha");
  EXPECT_EQ(got["arguments"]["subnet-id"], 0);
  EXPECT_EQ(run("reservation-get", {{"ip-address", "fd00::50"}})["arguments"]["public-key"], kKeyA);
  int stored = 0;
  ASSERT_TRUE(store_.load_reservations([&](const std::string&, const std::string&) { ++stored; }));
  EXPECT_EQ(stored, 1);
}

TEST_F(ReservationCommandsTest, ConflictsAndBadArguments) {
  ASSERT_EQ(run("reservation-add", {{"reservation", host_a()}})["result"], 0);
  EXPECT_EQ(run("reservation-add", {{"reservation", host_a()}}), json({{"result", 4}, {"text", "Host already exists."}}));
  json same_address = {{"public-key", kKeyB}, {"ip-address", "10.0.0.50"}};
  EXPECT_EQ(run("reservation-add", {{"reservation", same_address}})["result"], 4);
  json config_address = {{"hw-address", "aa:bb:cc:dd:ee:ff"}, {"ip-address", "10.0.0.3"}};
  EXPECT_EQ(run("reservation-add", {{"reservation", config_address}})["result"], 4);
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"public-key", kKeyB}, {"ip-address", "192.168.0.1"}}}})["result"], 1);
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"ip-address", "10.0.0.60"}}}})["result"], 1);  // no identifier
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"public-key", kKeyB}, {"hw-address", "aa:bb"}}}})["result"], 1);
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"public-key", "nope"}, {"ip-address", "10.0.0.61"}}}})["result"], 1);
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"public-key", kKeyB}, {"ip-address", "10.0.0.61"}, {"bogus", 1}}}})["result"], 1);
  EXPECT_EQ(run("reservation-add", {{"reservation", {{"public-key", kKeyB}, {"ip-address", "10.0.0.61"}, {"subnet-id", 9}}}})["result"], 1);
  EXPECT_EQ(run("reservation-add", json::object())["result"], 1);
  EXPECT_EQ(run("reservation-get", {{"identifier-type", "serial"}, {"identifier", "1"}})["result"], 1);
}

TEST_F(ReservationCommandsTest, StoredForFutureFrontEndsByOtherIdentifiers) {
  json dhcp_host = {{"hw-address", "AA-BB-CC-DD-EE-FF"}, {"subnet-id", 1}, {"ip-address", "10.0.0.70"}, {"prefixes", {"fd00:1::/56"}}};
  EXPECT_EQ(run("add-reservation", {{"reservation", dhcp_host}})["result"], 0);
  json got = run("get-reservation", {{"identifier-type", "hw-address"}, {"identifier", "aa:bb:cc:dd:ee:ff"}, {"subnet-id", 1}});
  EXPECT_EQ(got["arguments"]["hw-address"], "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(run("reservation-get", {{"prefix", "fd00:1::/56"}})["result"], 0);
  EXPECT_EQ(run("reservation-get", {{"identifier-type", "hw-address"}, {"identifier", "aa:bb:cc:dd:ee:ff"}, {"subnet-id", 2}})["result"], 3);
}

TEST_F(ReservationCommandsTest, UpdateDeleteAndDeleteLeases) {
  ASSERT_EQ(run("reservation-add", {{"reservation", host_a()}})["result"], 0);
  json moved = host_a();
  moved["ip-address"] = "10.0.0.51";
  EXPECT_EQ(run("reservation-update", {{"reservation", moved}}), json({{"result", 0}, {"text", "Host updated."}}));
  lease::LeaseRequest req;
  req.key = *lease::PublicKey::from_base64(kKeyA);
  EXPECT_EQ(engine_.request(req).v4->to_string(), "10.0.0.51");
  json stranger = {{"public-key", kKeyB}, {"ip-address", "10.0.0.52"}};
  EXPECT_EQ(run("reservation-update", {{"reservation", stranger}})["result"], 3);
  json from_config = {{"public-key", kKeyC}, {"ip-address", "10.0.0.4"}};
  EXPECT_EQ(run("reservation-update", {{"reservation", from_config}})["result"], 1);

  EXPECT_EQ(run("reservation-del", {{"identifier-type", "public-key"}, {"identifier", kKeyA}, {"delete-leases", true}}),
            json({{"result", 0}, {"text", "Host deleted."}}));
  EXPECT_FALSE(engine_.lease_of(*lease::PublicKey::from_base64(kKeyA)));
  EXPECT_FALSE(engine_.reservation_for(*lease::PublicKey::from_base64(kKeyA)));
  EXPECT_EQ(run("reservation-del", {{"ip-address", "10.0.0.51"}}), json({{"result", 3}, {"text", "Host not deleted (not found)."}}));
  EXPECT_EQ(run("delete-reservation", {{"ip-address", "10.0.0.3"}})["result"], 1);  // the configuration's
}

TEST_F(ReservationCommandsTest, GetAllPagesAndStoredOnesReturn) {
  ASSERT_EQ(run("reservation-add", {{"reservation", host_a()}})["result"], 0);
  ASSERT_EQ(run("reservation-add", {{"reservation", {{"duid", "01:02:03"}, {"ip-addresses", {"fd00::99"}}}}})["result"], 0);
  json all = run("reservation-get-all", json::object());
  EXPECT_EQ(all["text"], "3 host(s) found.");
  EXPECT_EQ(all["arguments"]["hosts"][0]["source"], "config");
  json page = run("reservation-get-page", {{"limit", 2}});
  EXPECT_EQ(page["arguments"]["count"], 2);
  json next = run("reservation-get-page", {{"limit", 2}, {"from", page["arguments"]["next"]["from"]}});
  EXPECT_EQ(next["arguments"]["count"], 1);
  EXPECT_EQ(run("reservation-get-page", {{"limit", 2}, {"from", 3}})["result"], 3);
  EXPECT_EQ(run("reservation-get-page", {{"limit", 0}})["result"], 1);

  // A new set of commands on the same store (a restart) serves the stored peer again.
  ASSERT_TRUE(engine_.remove_reservation(*lease::PublicKey::from_base64(kKeyA)));
  Dispatcher again;
  register_commands(again);
  EXPECT_TRUE(warnings_.empty());
  ASSERT_NE(engine_.reservation_for(*lease::PublicKey::from_base64(kKeyA)), nullptr);
}

}  // namespace
}  // namespace leasehold::control
