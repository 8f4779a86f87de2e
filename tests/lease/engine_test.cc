// One test per lease rule of issue 2 / the request_ip spec.
#include "lease/engine.h"

#include <gtest/gtest.h>

#include <set>

namespace leasehold::lease {
namespace {

using net::Address;
using net::Family;

PublicKey key(std::uint8_t n) {
  std::array<std::uint8_t, 32> b{};
  b.fill(n);
  b[0] = 0x42;
  return PublicKey(b);
}
Address a(const char* text) { return *Address::parse(text); }

SubnetSpec subnet(std::uint32_t id, const char* prefix, std::vector<const char*> pools) {
  SubnetSpec s{id, *net::Prefix::parse(prefix), {}};
  for (auto* p : pools) s.pools.push_back(*PoolDef::parse(p));
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : random_(42), engine_(clock_, random_, feed_) {
    feed_.subscribe([this](const LeaseChange& c) { changes_.push_back(c); });
  }

  Policy base_policy() {
    Policy p;
    p.valid_lifetime = 3600;
    p.min_valid_lifetime = 60;
    p.max_valid_lifetime = 86400;
    p.subnets = {subnet(1, "10.47.0.0/16", {"10.47.0.0/17"}), subnet(1, "fd00:47::/64", {"fd00:47::/64"})};
    return p;
  }
  void configure(Policy p) { ASSERT_TRUE(engine_.configure(std::move(p)).ok()); }

  LeaseReply ask(const PublicKey& k, std::optional<Address> hint4 = {}, std::optional<Address> hint6 = {},
                 std::optional<std::uint32_t> leasetime = {}) {
    LeaseRequest r;
    r.key = k;
    if (hint4) r.v4 = FamilyAsk{Intent::hint, *hint4};
    if (hint6) r.v6 = FamilyAsk{Intent::hint, *hint6};
    r.lease_seconds = leasetime;
    return engine_.request(r);
  }
  std::size_t count(LeaseChange::Kind kind) const {
    std::size_t n = 0;
    for (const auto& c : changes_) n += c.kind == kind;
    return n;
  }

  ManualClock clock_;
  SeededRandom random_;
  ChangeFeed feed_;
  Engine engine_;
  std::vector<LeaseChange> changes_;
};

TEST_F(EngineTest, EmptyRequestGrantsOneAddressPerFamilyInsidePools) {
  configure(base_policy());
  auto r = ask(key(1));
  ASSERT_EQ(r.outcome, Outcome::granted);
  ASSERT_TRUE(r.v4 && r.v6);
  EXPECT_TRUE(net::Prefix::parse("10.47.0.0/17")->contains(*r.v4));
  EXPECT_TRUE(net::Prefix::parse("fd00:47::/64")->contains(*r.v6));
  EXPECT_EQ(r.lease_seconds, 3600u);
  EXPECT_EQ(r.lease_start, clock_.wall_seconds());
  EXPECT_EQ(count(LeaseChange::Kind::grant), 2u);
}

TEST_F(EngineTest, APeerHoldsAtMostOneLease) {
  configure(base_policy());
  auto first = ask(key(1));
  for (int i = 0; i < 5; ++i) {
    auto again = ask(key(1));
    EXPECT_EQ(again.v4, first.v4);
    EXPECT_EQ(again.v6, first.v6);
  }
  EXPECT_EQ(engine_.peer_count(), 1u);
  EXPECT_EQ(engine_.binding_count(), 2u);
}

TEST_F(EngineTest, HintOnHeldAddressRenewsIt) {
  configure(base_policy());
  auto first = ask(key(1));
  clock_.advance(100);
  auto again = ask(key(1), first.v4, first.v6);
  EXPECT_EQ(again.v4, first.v4);
  EXPECT_EQ(again.v6, first.v6);
  EXPECT_EQ(again.lease_start, clock_.wall_seconds());
  EXPECT_EQ(count(LeaseChange::Kind::renew), 2u);
}

TEST_F(EngineTest, HintNotHeldGetsRandomAddressAndOldOneIsReleased) {
  configure(base_policy());
  auto first = ask(key(1));
  auto moved = ask(key(1), a("10.47.1.1"));
  ASSERT_TRUE(moved.v4);
  EXPECT_NE(*moved.v4, a("10.47.1.1"));  // a hint not held is never honoured (random draw)
  EXPECT_NE(*moved.v4, *first.v4);
  EXPECT_EQ(moved.v6, first.v6);  // the other family is untouched
  EXPECT_FALSE(engine_.holder_of(*first.v4).has_value());
  EXPECT_EQ(count(LeaseChange::Kind::release), 1u);
}

TEST_F(EngineTest, HintOnAnotherPeersAddressIsNotGranted) {
  configure(base_policy());
  auto victim = ask(key(1));
  auto thief = ask(key(2), victim.v4, victim.v6);
  EXPECT_NE(thief.v4, victim.v4);
  EXPECT_NE(thief.v6, victim.v6);
  EXPECT_EQ(engine_.holder_of(*victim.v4), key(1));
}

TEST_F(EngineTest, ExpiredLeaseIsNotValidForItsHintEvenBeforeTheTimerRuns) {
  configure(base_policy());
  auto first = ask(key(1), {}, {}, 60);
  clock_.advance(61);  // no expire_due() call: the request itself must notice
  auto again = ask(key(1), first.v4);
  EXPECT_EQ(count(LeaseChange::Kind::expire), 2u);
  EXPECT_EQ(count(LeaseChange::Kind::renew), 0u);
  ASSERT_TRUE(again.v4);
}

TEST_F(EngineTest, FamilyWithoutHintKeepsItsAddress) {
  configure(base_policy());
  auto first = ask(key(1));
  auto again = ask(key(1), {}, a("fd00:47::1"));
  EXPECT_EQ(again.v4, first.v4);
  EXPECT_NE(again.v6, first.v6);
}

TEST_F(EngineTest, LeasetimeHintIsClampedToTheNearerBound) {
  configure(base_policy());
  EXPECT_EQ(ask(key(1), {}, {}, 10).lease_seconds, 60u);
  EXPECT_EQ(ask(key(1), {}, {}, 1'000'000).lease_seconds, 86400u);
  EXPECT_EQ(ask(key(1), {}, {}, 7200).lease_seconds, 7200u);
  EXPECT_EQ(ask(key(1)).lease_seconds, 3600u);
}

TEST_F(EngineTest, ReservationAlwaysWinsAndIsNeverGivenToOthers) {
  Policy p = base_policy();
  p.subnets[0].pools = {*net::Range::parse("10.47.0.1-10.47.0.4")};
  p.reservations.push_back(ReservationSpec{key(9), a("10.47.0.2"), a("fd00:47::99")});
  configure(p);
  std::set<Address> handed;
  for (std::uint8_t i = 1; i <= 3; ++i) {
    auto r = ask(key(i));
    ASSERT_TRUE(r.v4);
    handed.insert(*r.v4);
  }
  EXPECT_FALSE(handed.count(a("10.47.0.2")));
  auto fourth = ask(key(4));
  EXPECT_FALSE(fourth.v4);  // the pool has only the reserved address left
  auto owner = ask(key(9), a("10.47.0.3"));
  EXPECT_EQ(owner.v4, a("10.47.0.2"));
  EXPECT_EQ(owner.v6, a("fd00:47::99"));
}

TEST_F(EngineTest, PartialSuccessIsSuccess) {
  Policy p = base_policy();
  p.subnets[0].pools = {*net::Range::parse("10.47.0.1-10.47.0.1")};
  configure(p);
  ASSERT_TRUE(ask(key(1)).v4);
  auto r = ask(key(2));
  EXPECT_EQ(r.outcome, Outcome::granted);
  EXPECT_FALSE(r.v4);
  EXPECT_TRUE(r.v6);
}

TEST_F(EngineTest, BothFamiliesImpossibleIsOutOfAddressesAndChangesNothing) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 3600;
  p.subnets = {subnet(1, "10.47.0.0/24", {"10.47.0.5-10.47.0.5"})};
  configure(p);
  auto holder = ask(key(1));
  ASSERT_EQ(holder.v4, a("10.47.0.5"));
  // key(1) asks for another address: the only one is its own, so the draw fails.
  changes_.clear();
  auto r = ask(key(1), a("10.47.0.9"));
  EXPECT_EQ(r.outcome, Outcome::out_of_addresses);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(engine_.holder_of(a("10.47.0.5")), key(1));
  EXPECT_EQ(ask(key(2)).outcome, Outcome::out_of_addresses);
}

TEST_F(EngineTest, LeasesExpireOnTheMonotonicClock) {
  configure(base_policy());
  auto r = ask(key(1), {}, {}, 60);
  ASSERT_EQ(engine_.next_deadline(), clock_.monotonic_seconds() + 60);
  clock_.advance(59);
  EXPECT_EQ(engine_.expire_due(), 0u);
  clock_.advance(1);
  EXPECT_EQ(engine_.expire_due(), 2u);
  EXPECT_EQ(engine_.peer_count(), 0u);
  EXPECT_FALSE(engine_.holder_of(*r.v4));
  EXPECT_EQ(count(LeaseChange::Kind::expire), 2u);
  EXPECT_EQ(count(LeaseChange::Kind::remove), 2u);  // no hold time: rows go
}

TEST_F(EngineTest, WallClockJumpsNeitherExpireNorExtendLeases) {
  configure(base_policy());
  ask(key(1), {}, {}, 60);
  clock_.jump_wall(86400 * 30);
  EXPECT_EQ(engine_.expire_due(), 0u);
  EXPECT_EQ(ask(key(2)).lease_start, clock_.wall_seconds());  // leasestart follows the wall clock
  clock_.jump_wall(-86400 * 60);
  clock_.advance(60);
  EXPECT_EQ(engine_.expire_due(), 2u);
}

TEST_F(EngineTest, EndedAddressesWaitHoldReclaimedTime) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 60;
  p.hold_reclaimed_time = 300;
  p.subnets = {subnet(1, "10.47.0.0/24", {"10.47.0.5-10.47.0.5"})};
  configure(p);
  ASSERT_EQ(ask(key(1)).v4, a("10.47.0.5"));
  clock_.advance(60);
  engine_.expire_due();
  EXPECT_EQ(ask(key(2)).outcome, Outcome::out_of_addresses);  // held back
  clock_.advance(299);
  engine_.expire_due();
  EXPECT_EQ(ask(key(2)).outcome, Outcome::out_of_addresses);
  clock_.advance(1);
  engine_.expire_due();
  EXPECT_EQ(ask(key(2)).v4, a("10.47.0.5"));
}

TEST_F(EngineTest, ReleasedAddressesWaitHoldReclaimedTimeToo) {
  Policy p = base_policy();
  p.hold_reclaimed_time = 300;
  p.subnets[0].pools = {*net::Range::parse("10.47.0.5-10.47.0.6")};
  configure(p);
  auto r = ask(key(1));
  auto moved = ask(key(1), a("10.47.9.9"));  // releases r.v4, takes the other one
  ASSERT_TRUE(moved.v4);
  EXPECT_FALSE(ask(key(2)).v4);  // the released one is held
  clock_.advance(300);
  engine_.expire_due();
  EXPECT_EQ(ask(key(3)).v4, r.v4);
}

TEST_F(EngineTest, Ipv4PrefixPoolsExcludeNetworkAndBroadcast) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 60;
  p.subnets = {subnet(1, "10.47.0.0/16", {"10.47.0.0/30", "10.47.1.0/31", "10.47.2.7/32"})};
  configure(p);
  std::set<Address> got;
  for (std::uint8_t i = 1; i <= 6; ++i)
    if (auto r = ask(key(i)); r.v4) got.insert(*r.v4);
  std::set<Address> want{a("10.47.0.1"), a("10.47.0.2"), a("10.47.1.0"), a("10.47.1.1"), a("10.47.2.7")};
  EXPECT_EQ(got, want);
}

TEST_F(EngineTest, RangePoolsKeepTheirEdgeAddresses) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 60;
  p.subnets = {subnet(1, "10.47.0.0/16", {"10.47.1.4-10.47.1.7"})};
  configure(p);
  std::set<Address> got;
  for (std::uint8_t i = 1; i <= 5; ++i)
    if (auto r = ask(key(i)); r.v4) got.insert(*r.v4);
  EXPECT_EQ(got.size(), 4u);  // a range is taken as written, .4 and .7 included
}

TEST_F(EngineTest, SubnetNetworkAndBroadcastAreNeverHandedOut) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 60;
  p.subnets = {subnet(1, "10.47.0.0/29", {"10.47.0.0-10.47.0.7"})};
  configure(p);
  std::set<Address> got;
  for (std::uint8_t i = 1; i <= 8; ++i)
    if (auto r = ask(key(i)); r.v4) got.insert(*r.v4);
  EXPECT_EQ(got.size(), 6u);
  EXPECT_FALSE(got.count(a("10.47.0.0")));
  EXPECT_FALSE(got.count(a("10.47.0.7")));
}

TEST_F(EngineTest, LastFreeAddressOfA24IsFound) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 3600;
  p.subnets = {subnet(1, "10.47.0.0/24", {"10.47.0.0/24"})};
  configure(p);
  std::set<Address> got;
  for (int i = 0; i < 254; ++i) {
    std::array<std::uint8_t, 32> b{};
    b[0] = 1;
    b[1] = static_cast<std::uint8_t>(i);
    auto r = ask(PublicKey(b));
    ASSERT_TRUE(r.v4) << i;
    got.insert(*r.v4);
  }
  EXPECT_EQ(got.size(), 254u);
  EXPECT_EQ(engine_.free_count(Family::v4), 0u);
  EXPECT_EQ(ask(key(200)).outcome, Outcome::out_of_addresses);
}

TEST_F(EngineTest, HugePoolsCostMemoryByLeasesNotBySize) {
  Policy p;
  p.valid_lifetime = p.min_valid_lifetime = p.max_valid_lifetime = 3600;
  p.subnets = {subnet(1, "10.0.0.0/8", {"10.0.0.0/8"}), subnet(2, "fd00::/48", {"fd00::/64", "fd00:0:0:1::/64"})};
  configure(p);
  std::set<Address> got;
  for (std::uint8_t i = 0; i < 100; ++i) {
    auto r = ask(key(i));
    ASSERT_TRUE(r.v4 && r.v6);
    got.insert(*r.v4);
    got.insert(*r.v6);
  }
  EXPECT_EQ(got.size(), 200u);
  EXPECT_EQ(engine_.free_count(Family::v4), (net::uint128{1} << 24) - 2 - 100);
  EXPECT_EQ(engine_.free_count(Family::v6), (net::uint128{1} << 65) - 100);
  EXPECT_LT(engine_.memory_bytes(), 64u * 1024);
}

TEST_F(EngineTest, UpstreamHintNotHeldIsUnavailableAndChangesNothing) {
  configure(base_policy());
  auto first = ask(key(1));
  changes_.clear();
  LeaseRequest r;
  r.key = key(1);
  r.v4 = FamilyAsk{Intent::hint, a("10.47.3.3")};
  r.hint_must_be_held = true;
  EXPECT_EQ(engine_.request(r).outcome, Outcome::chosen_unavailable);
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(engine_.holder_of(*first.v4), key(1));
}

TEST_F(EngineTest, UpstreamReleaseOfAFamily) {
  configure(base_policy());
  auto first = ask(key(1));
  LeaseRequest r;
  r.key = key(1);
  r.v4 = FamilyAsk{Intent::release, {}};
  r.v6 = FamilyAsk{Intent::hint, *first.v6};
  r.hint_must_be_held = true;
  auto reply = engine_.request(r);
  EXPECT_EQ(reply.outcome, Outcome::granted);
  EXPECT_FALSE(reply.v4);
  EXPECT_EQ(reply.v6, first.v6);
  r.v6 = FamilyAsk{Intent::release, {}};
  EXPECT_EQ(engine_.request(r).outcome, Outcome::released);
  EXPECT_EQ(engine_.peer_count(), 0u);
}

TEST_F(EngineTest, RestoreLoadsLiveLeasesAndReclaimsExpiredOnes) {
  Policy p = base_policy();
  p.hold_reclaimed_time = 100;
  configure(p);
  std::int64_t now = clock_.wall_seconds();
  LeaseRecord live{a("10.47.0.10"), key(1), 1, now - 100, 3600, LeaseState::assigned, "host", "{}"};
  LeaseRecord live6{a("fd00:47::10"), key(1), 1, now - 100, 3600, LeaseState::assigned, "", ""};
  LeaseRecord expired{a("10.47.0.11"), key(2), 1, now - 4000, 3600, LeaseState::assigned, "", ""};
  LeaseRecord held{a("10.47.0.12"), key(3), 1, now - 50, 0, LeaseState::expired_reclaimed, "", ""};
  LeaseRecord stale{a("10.47.0.13"), key(4), 1, now - 5000, 0, LeaseState::expired_reclaimed, "", ""};
  for (const auto& r : {live, live6, expired, held, stale}) engine_.restore(r);
  engine_.finish_restore();
  EXPECT_EQ(engine_.holder_of(a("10.47.0.10")), key(1));
  auto view = engine_.lease_of(key(1));
  ASSERT_TRUE(view && view->v4 && view->v6);
  EXPECT_EQ(view->v4->hostname, "host");
  EXPECT_EQ(engine_.peer_count(), 1u);
  EXPECT_EQ(engine_.held_count(), 1u);  // 10.47.0.12 (hold until now + 50); .11 and .13 are past it
  EXPECT_EQ(count(LeaseChange::Kind::expire), 1u);
  EXPECT_EQ(count(LeaseChange::Kind::remove), 2u);
  // The live lease keeps its remaining time: 3500 s.
  EXPECT_EQ(engine_.next_deadline(), clock_.monotonic_seconds() + 50);
  auto again = ask(key(1), a("10.47.0.10"));
  EXPECT_EQ(again.v4, a("10.47.0.10"));
}

TEST(PolicyTest, RejectsInconsistentPolicies) {
  Policy p;
  p.valid_lifetime = 100;
  p.min_valid_lifetime = 200;
  p.max_valid_lifetime = 300;
  EXPECT_FALSE(validate_policy(p).ok());
  p.min_valid_lifetime = 50;
  EXPECT_TRUE(validate_policy(p).ok());
  p.subnets = {subnet(1, "10.0.0.0/24", {"10.0.0.0/25"}), subnet(2, "10.0.0.0/16", {})};
  EXPECT_FALSE(validate_policy(p).ok());  // overlapping subnets
  p.subnets = {subnet(1, "10.0.0.0/24", {"10.0.0.0/25", "10.0.0.100-10.0.0.200"})};
  EXPECT_FALSE(validate_policy(p).ok());  // overlapping pools
  p.subnets = {subnet(1, "10.0.0.0/24", {"10.0.1.0/25"})};
  EXPECT_FALSE(validate_policy(p).ok());  // pool outside subnet
  p.subnets = {subnet(1, "10.0.0.0/24", {})};
  p.reservations = {ReservationSpec{key(1), a("10.9.0.1"), {}}};
  EXPECT_FALSE(validate_policy(p).ok());  // reservation outside every subnet
  p.reservations = {ReservationSpec{key(1), a("10.0.0.255"), {}}};
  auto st = validate_policy(p);
  ASSERT_FALSE(st.ok());  // the broadcast address of its subnet
  EXPECT_EQ(st.error().message.find(key(1).to_base64()), std::string::npos) << "no key material in messages";
  p.reservations = {ReservationSpec{key(1), a("10.0.0.254"), {}}};
  EXPECT_TRUE(validate_policy(p).ok());
}

}  // namespace
}  // namespace leasehold::lease
