#include "client/lease_keeper.h"

#include <gtest/gtest.h>

namespace leasehold::client {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }
net::Prefix host(const char* text) {
  auto a = addr(text);
  return net::Prefix(a, net::family_bits(a.family()));
}

// Always draws the same number: below(b) is value % b.
class FixedRandom final : public lease::RandomSource {
 public:
  explicit FixedRandom(std::uint64_t value) : value_(value) {}
  std::uint64_t next64() override { return value_; }

 private:
  std::uint64_t value_;
};

wgdyn::ClientResponse granted(const char* v4, const char* v6, std::uint32_t leasetime, std::uint64_t leasestart) {
  wgdyn::ClientResponse r;
  if (v4) r.ipv4 = host(v4);
  if (v6) r.ipv6 = host(v6);
  r.leasetime_seconds = leasetime;
  r.leasestart = leasestart;
  return r;
}

class LeaseKeeperTest : public ::testing::Test {
 protected:
  std::uint64_t now_s() const { return static_cast<std::uint64_t>(clock_.wall_ms() / 1000); }
  wgdyn::ClientResponse grant(const char* v4, const char* v6, std::uint32_t leasetime = 3600) {
    return granted(v4, v6, leasetime, now_s());
  }
  std::int64_t in_ms(std::int64_t mono) const { return mono - clock_.mono_ms(); }

  ManualClock clock_;
  FixedRandom random_{0};
  KeeperConfig config_;
  LeaseKeeper keeper_{config_, clock_, random_};
};

// --- start ---

TEST_F(LeaseKeeperTest, StartsFromALiveStoredLease) {
  StoredLease stored{{addr("10.0.0.5"), addr("fd00::5")}, static_cast<std::int64_t>(now_s()) - 100, 3600};
  Actions a = keeper_.start(stored, {host("10.9.9.9")});
  ASSERT_TRUE(keeper_.lease());
  EXPECT_TRUE(keeper_.lease()->granted);
  EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 3500'000);
  EXPECT_EQ(a.add, (std::vector{addr("10.0.0.5"), addr("fd00::5")}));  // back on the interface
  EXPECT_FALSE(a.event);
  EXPECT_EQ(keeper_.next_request_mono_ms(), clock_.mono_ms());  // ask at once
  EXPECT_EQ(wgdyn::format_request(keeper_.request()), "request_ip=1\nipv4=10.0.0.5/32\nipv6=fd00::5/128\n\n");
  EXPECT_EQ(keeper_.stored(), stored);
}

TEST_F(LeaseKeeperTest, ExpiredStoredLeaseGivesWayToInterfaceAddresses) {
  StoredLease stored{{addr("10.0.0.5"), std::nullopt}, static_cast<std::int64_t>(now_s()) - 3601, 3600};
  keeper_.start(stored, {host("10.9.9.9")});
  ASSERT_TRUE(keeper_.lease());
  EXPECT_FALSE(keeper_.lease()->granted);
  EXPECT_EQ(keeper_.lease()->addresses.ipv4, addr("10.9.9.9"));
}

TEST_F(LeaseKeeperTest, StoredLeaseNeverOutlastsItsLeaseTime) {
  // The wall clock was set back an hour since the lease was stored.
  StoredLease stored{{addr("10.0.0.5"), std::nullopt}, static_cast<std::int64_t>(now_s()) + 3600, 60};
  keeper_.start(stored, {});
  ASSERT_TRUE(keeper_.lease());
  EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 60'000);
}

TEST_F(LeaseKeeperTest, InterfaceAddressesAreAFifteenSecondLease) {
  keeper_.start(std::nullopt, {net::Prefix(addr("10.0.0.4"), 24), host("10.0.0.6"), net::Prefix(addr("fd00::1"), 64),
                               host("fd00::2"), host("10.0.0.7")});
  ASSERT_TRUE(keeper_.lease());
  EXPECT_FALSE(keeper_.lease()->granted);
  EXPECT_EQ(keeper_.lease()->addresses.ipv4, addr("10.0.0.6"));  // /32 and /128 only, the first of each
  EXPECT_EQ(keeper_.lease()->addresses.ipv6, addr("fd00::2"));
  EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 15'000);
  EXPECT_EQ(wgdyn::format_request(keeper_.request()), "request_ip=1\nipv4=10.0.0.6/32\nipv6=fd00::2/128\n\n");
  EXPECT_FALSE(keeper_.stored());  // not the server's: nothing to remember
  clock_.advance_ms(15'000);
  Actions a = keeper_.on_timer();
  EXPECT_EQ(a.remove, (std::vector{addr("10.0.0.6"), addr("fd00::2")}));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::expired);
}

TEST_F(LeaseKeeperTest, NothingToHint) {
  keeper_.start(std::nullopt, {});
  EXPECT_FALSE(keeper_.lease());
  EXPECT_EQ(wgdyn::format_request(keeper_.request()), "request_ip=1\n\n");
}

TEST_F(LeaseKeeperTest, LeasetimeHintIsSent) {
  LeaseKeeper keeper(KeeperConfig{true, true, 20}, clock_, random_);
  keeper.start(std::nullopt, {});
  EXPECT_EQ(wgdyn::format_request(keeper.request()), "request_ip=1\nleasetime=20\n\n");
}

TEST_F(LeaseKeeperTest, LeasetimeHintZeroIsNeverSentForItWouldRelease) {
  LeaseKeeper keeper(KeeperConfig{true, true, 0}, clock_, random_);
  keeper.start(std::nullopt, {});
  EXPECT_EQ(wgdyn::format_request(keeper.request()), "request_ip=1\n\n");
}

// --- grants ---

TEST_F(LeaseKeeperTest, GrantAddsAndIsBound) {
  keeper_.start(std::nullopt, {});
  Actions a = keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  EXPECT_EQ(a.add, (std::vector{addr("10.0.0.5"), addr("fd00::5")}));
  EXPECT_TRUE(a.remove.empty());
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::bound);
  EXPECT_EQ(a.event->leasetime_seconds, 3600u);
  EXPECT_TRUE(a.save);
  EXPECT_TRUE(a.problem.empty());
  ASSERT_TRUE(keeper_.stored());
  EXPECT_EQ(keeper_.stored()->leasestart, static_cast<std::int64_t>(now_s()));
  EXPECT_EQ(keeper_.stored()->leasetime_seconds, 3600u);
  EXPECT_EQ(wgdyn::format_request(keeper_.request()), "request_ip=1\nipv4=10.0.0.5/32\nipv6=fd00::5/128\n\n");
}

TEST_F(LeaseKeeperTest, RenewalOfTheSameAddresses) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  Actions a = keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::renewed);
  EXPECT_TRUE(a.remove.empty());
  EXPECT_EQ(a.add.size(), 2u);  // again: refreshes the kernel lifetimes
}

TEST_F(LeaseKeeperTest, ChangeRemovesTheOldAddress) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  Actions a = keeper_.on_response(grant("10.0.0.9", "fd00::5"));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::changed);
  EXPECT_EQ(a.event->old_addresses.ipv4, addr("10.0.0.5"));
  EXPECT_EQ(a.remove, std::vector{addr("10.0.0.5")});
  EXPECT_EQ(a.add, (std::vector{addr("10.0.0.9"), addr("fd00::5")}));
  // A family the server no longer grants goes too.
  a = keeper_.on_response(grant("10.0.0.9", nullptr));
  EXPECT_EQ(a.event->reason, Reason::changed);
  EXPECT_EQ(a.remove, std::vector{addr("fd00::5")});
}

TEST_F(LeaseKeeperTest, InterfaceLeaseReplacedByTheServers) {
  keeper_.start(std::nullopt, {host("10.0.0.6"), host("fd00::2")});
  Actions a = keeper_.on_response(grant("10.0.0.6", "fd00::7"));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::bound);
  EXPECT_EQ(a.remove, std::vector{addr("fd00::2")});
}

TEST_F(LeaseKeeperTest, FirstGrantAfterARestartIsBound) {
  StoredLease stored{{addr("10.0.0.5"), std::nullopt}, static_cast<std::int64_t>(now_s()) - 10, 3600};
  keeper_.start(stored, {});
  Actions a = keeper_.on_response(grant("10.0.0.5", nullptr));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::bound);  // hooks of this run have seen nothing yet
  EXPECT_TRUE(a.remove.empty());
}

// --- refusals ---

TEST_F(LeaseKeeperTest, RefusesAnythingButHostPrefixes) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", nullptr));
  auto wide = grant("10.0.0.5", nullptr);
  wide.ipv4 = net::Prefix(addr("10.0.0.0"), 24);
  Actions a = keeper_.on_response(wide);
  EXPECT_TRUE(a.add.empty());
  EXPECT_TRUE(a.remove.empty());
  EXPECT_FALSE(a.event);
  EXPECT_EQ(a.problem, "refused lease: 10.0.0.0/24 is not a /32");
  EXPECT_EQ(keeper_.lease()->addresses.ipv4, addr("10.0.0.5"));  // the lease held is unchanged
  EXPECT_EQ(keeper_.consecutive_failures(), 1);
  auto wide6 = grant("10.0.0.5", nullptr);
  wide6.ipv6 = net::Prefix(addr("fd00::"), 64);
  EXPECT_EQ(keeper_.on_response(wide6).problem, "refused lease: fd00::/64 is not a /128");
}

TEST_F(LeaseKeeperTest, RefusesErrorsEmptyGrantsAndZeroLeaseTime) {
  keeper_.start(std::nullopt, {});
  wgdyn::ClientResponse failure;
  failure.error_number = 2;
  failure.errmsg = "out of ip addresses";
  EXPECT_EQ(keeper_.on_response(failure).problem, "server answered errno 2: out of ip addresses");
  EXPECT_EQ(keeper_.on_response(wgdyn::ClientResponse{}).problem, "server granted no address of a wanted family");
  EXPECT_EQ(keeper_.on_response(grant("10.0.0.5", nullptr, 0)).problem, "server granted lease time 0");
  EXPECT_FALSE(keeper_.lease());
  EXPECT_EQ(keeper_.consecutive_failures(), 3);
}

// --- timing ---

TEST_F(LeaseKeeperTest, RenewalOfAnHourLeaseWithJitterBounds) {
  for (std::uint64_t draw : {std::uint64_t{0}, std::uint64_t{30'000}, std::uint64_t{12'345}}) {
    FixedRandom random(draw);
    LeaseKeeper keeper(config_, clock_, random);
    keeper.start(std::nullopt, {});
    keeper.on_response(grant("10.0.0.5", nullptr, 3600));
    // 300 s before the end, minus 0..30 s.
    EXPECT_EQ(in_ms(keeper.next_request_mono_ms()), 3300'000 - static_cast<std::int64_t>(draw)) << draw;
  }
}

TEST_F(LeaseKeeperTest, RenewalOfATwentySecondLease) {
  for (std::uint64_t draw : {std::uint64_t{0}, std::uint64_t{2000}}) {
    FixedRandom random(draw);
    LeaseKeeper keeper(config_, clock_, random);
    keeper.start(std::nullopt, {});
    keeper.on_response(grant("10.0.0.5", nullptr, 20));
    // Half the lease, minus 0..2 s (a tenth of it).
    EXPECT_EQ(in_ms(keeper.next_request_mono_ms()), 10'000 - static_cast<std::int64_t>(draw)) << draw;
  }
}

TEST_F(LeaseKeeperTest, RenewalJitterStaysInBoundsForRandomDraws) {
  auto random = lease::SeededRandom(7);
  LeaseKeeper keeper(config_, clock_, random);
  keeper.start(std::nullopt, {});
  for (int i = 0; i < 200; ++i) {
    keeper.on_response(grant("10.0.0.5", nullptr, 600));
    const std::int64_t at = in_ms(keeper.next_request_mono_ms());
    EXPECT_GE(at, 300'000 - 30'000);  // later of 300 s and 600 - 300 s, minus up to 30 s
    EXPECT_LE(at, 300'000);
  }
}

TEST_F(LeaseKeeperTest, ATinyLeaseCannotMakeABusyLoop) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", nullptr, 1));
  EXPECT_EQ(in_ms(keeper_.next_request_mono_ms()), 1'000);
}

TEST_F(LeaseKeeperTest, BackoffDoublesToAMinute) {
  keeper_.start(std::nullopt, {});
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 9; ++i) {
    keeper_.on_failure("connection refused");
    waits.push_back(in_ms(keeper_.next_request_mono_ms()));
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 60'000, 60'000, 60'000}));
  keeper_.on_response(grant("10.0.0.5", nullptr));
  EXPECT_EQ(keeper_.consecutive_failures(), 0);
  keeper_.on_failure("again");
  EXPECT_EQ(in_ms(keeper_.next_request_mono_ms()), 1'000);
}

TEST_F(LeaseKeeperTest, BackoffNeverSleepsPastTheLeaseEnd) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", nullptr, 20));
  for (int i = 0; i < 6; ++i) keeper_.on_failure("down");
  clock_.advance_ms(10'000);
  keeper_.on_failure("down");  // would wait 60 s; the lease ends in 10 s
  EXPECT_EQ(in_ms(keeper_.next_request_mono_ms()), 10'000);
  EXPECT_EQ(keeper_.next_deadline_mono_ms(), keeper_.lease()->expires_mono_ms);
}

TEST_F(LeaseKeeperTest, ExpiryRemovesAndTheClientGoesOnAsking) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", "fd00::5", 20));
  clock_.advance_ms(19'999);
  EXPECT_FALSE(keeper_.on_timer().event);
  clock_.advance_ms(1);
  Actions a = keeper_.on_timer();
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::expired);
  EXPECT_EQ(a.event->old_addresses.ipv4, addr("10.0.0.5"));
  EXPECT_TRUE(a.event->addresses.empty());
  EXPECT_EQ(a.remove, (std::vector{addr("10.0.0.5"), addr("fd00::5")}));
  EXPECT_TRUE(a.save);
  EXPECT_FALSE(keeper_.lease());
  EXPECT_FALSE(keeper_.stored());
  EXPECT_LE(keeper_.next_request_mono_ms(), clock_.mono_ms());  // due
  // The last addresses are still worth hinting.
  EXPECT_EQ(wgdyn::format_request(keeper_.request()), "request_ip=1\nipv4=10.0.0.5/32\nipv6=fd00::5/128\n\n");
  EXPECT_FALSE(keeper_.on_timer().event);  // once
  Actions again = keeper_.on_response(grant("10.0.0.5", "fd00::5", 20));
  EXPECT_EQ(again.event->reason, Reason::bound);
}

// --- clock skew (spec: leasestart more than 15 s off the local clock is replaced) ---

TEST_F(LeaseKeeperTest, ServerClockFarAheadOrBehindIsIgnored) {
  for (std::int64_t skew : {std::int64_t{3600}, std::int64_t{-3600}, std::int64_t{16}, std::int64_t{-16}}) {
    keeper_.start(std::nullopt, {});
    keeper_.on_response(granted("10.0.0.5", nullptr, 20, static_cast<std::uint64_t>(static_cast<std::int64_t>(now_s()) + skew)));
    EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 20'000) << skew;
    EXPECT_EQ(in_ms(keeper_.next_request_mono_ms()), 10'000) << skew;  // no tight loop
    EXPECT_EQ(keeper_.stored()->leasestart, static_cast<std::int64_t>(now_s())) << skew;
  }
}

TEST_F(LeaseKeeperTest, ServerClockSlightlyBehindShortensTheLease) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(granted("10.0.0.5", nullptr, 20, now_s() - 5));
  EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 15'000);
  EXPECT_EQ(in_ms(keeper_.next_request_mono_ms()), 5'000);
  EXPECT_EQ(keeper_.stored()->leasestart, static_cast<std::int64_t>(now_s()) - 5);
}

TEST_F(LeaseKeeperTest, ServerClockSlightlyAheadNeverLengthensIt) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(granted("10.0.0.5", nullptr, 20, now_s() + 10));
  EXPECT_EQ(in_ms(keeper_.lease()->expires_mono_ms), 20'000);
}

TEST_F(LeaseKeeperTest, LocalWallClockJumpDoesNotMoveExpiry) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", nullptr, 20));
  clock_.jump_wall_ms(3'600'000);
  EXPECT_FALSE(keeper_.on_timer().event);
  clock_.advance_ms(20'000);
  EXPECT_TRUE(keeper_.on_timer().event);
}

// --- families ---

TEST_F(LeaseKeeperTest, OneFamilyOnlyUsesTheUpstreamFormatAndIgnoresTheOther) {
  LeaseKeeper keeper(KeeperConfig{false, true, std::nullopt}, clock_, random_);
  keeper.start(std::nullopt, {host("10.0.0.6"), host("fd00::2")});
  EXPECT_FALSE(keeper.lease()->addresses.ipv4);  // not ours to manage
  EXPECT_EQ(wgdyn::format_request(keeper.request()), "request_ip=1\nip=::/128\n\n");
  Actions a = keeper.on_response(grant("10.0.0.5", "fd00::5"));
  EXPECT_EQ(a.add, std::vector{addr("fd00::5")});
  EXPECT_EQ(a.remove, std::vector{addr("fd00::2")});
  EXPECT_EQ(keeper.on_response(grant("10.0.0.5", nullptr)).problem, "server granted no address of a wanted family");
}

// --- stopping ---

TEST_F(LeaseKeeperTest, StopReleaseRemovesEverything) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  Actions a = keeper_.stop(StopMode::release);
  EXPECT_EQ(a.remove, (std::vector{addr("10.0.0.5"), addr("fd00::5")}));
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::released);
  EXPECT_EQ(a.event->old_addresses.ipv6, addr("fd00::5"));
  EXPECT_TRUE(a.save);
  EXPECT_FALSE(keeper_.stored());
}

TEST_F(LeaseKeeperTest, StopKeepLeavesAddressesAndState) {
  keeper_.start(std::nullopt, {});
  keeper_.on_response(grant("10.0.0.5", "fd00::5"));
  Actions a = keeper_.stop(StopMode::keep);
  EXPECT_TRUE(a.remove.empty());
  EXPECT_TRUE(a.add.empty());
  ASSERT_TRUE(a.event);
  EXPECT_EQ(a.event->reason, Reason::stopped);
  EXPECT_EQ(a.event->addresses.ipv4, addr("10.0.0.5"));
  EXPECT_FALSE(a.save);
  ASSERT_TRUE(keeper_.stored());
  EXPECT_EQ(keeper_.stored()->addresses.ipv4, addr("10.0.0.5"));
}

TEST_F(LeaseKeeperTest, StopWithoutALeaseIsJustStopped) {
  keeper_.start(std::nullopt, {});
  for (StopMode mode : {StopMode::release, StopMode::keep}) {
    Actions a = keeper_.stop(mode);
    EXPECT_TRUE(a.remove.empty());
    ASSERT_TRUE(a.event);
    EXPECT_EQ(a.event->reason, Reason::stopped);
    EXPECT_TRUE(a.event->addresses.empty());
  }
}

TEST(ReasonNames, AreTheHookVocabulary) {
  EXPECT_STREQ(reason_name(Reason::bound), "bound");
  EXPECT_STREQ(reason_name(Reason::renewed), "renewed");
  EXPECT_STREQ(reason_name(Reason::changed), "changed");
  EXPECT_STREQ(reason_name(Reason::expired), "expired");
  EXPECT_STREQ(reason_name(Reason::released), "released");
  EXPECT_STREQ(reason_name(Reason::stopped), "stopped");
}

}  // namespace
}  // namespace leasehold::client
