// Leases survive restarts and crashes; reloads and full disks change nothing acknowledged.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "harness.h"

namespace leasehold::testing {
namespace {

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

bool wait_for_log(ServerProcess& server, const std::string& needle, int timeout_ms = 5000) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (server.log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Rows per (table, state) and the number of peers holding two live rows of one family.
struct DbSummary {
  int live4 = 0, live6 = 0, doubled = 0;
};

DbSummary summarize(const std::string& db_path) {
  DbSummary s;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    int v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
  };
  s.live4 = scalar("SELECT count(*) FROM lease4 WHERE state = 0");
  s.live6 = scalar("SELECT count(*) FROM lease6 WHERE state = 0");
  s.doubled = scalar(
      "SELECT (SELECT count(*) FROM (SELECT public_key FROM lease4 WHERE state = 0 GROUP BY public_key HAVING count(*) > 1))"
      " + (SELECT count(*) FROM (SELECT public_key FROM lease6 WHERE state = 0 GROUP BY public_key HAVING count(*) > 1))");
  sqlite3_close(db);
  return s;
}

class DurabilityTest : public ::testing::Test {
 protected:
  void write_config(const std::string& config) { std::ofstream(dir_.file("server.json")) << config; }
  void start() {
    if (!server_) server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
    port_ = server_->start();
    ASSERT_NE(port_, 0) << server_->log();
  }
  std::map<std::string, std::string> ask(std::uint32_t peer, const std::string& message = "request_ip=1\n\n") {
    Client c(peer_source(peer), port_);
    return parse_lines(c.request(message));
  }
  std::string config(std::uint32_t peers = 8) { return make_config(dir_.file("leases.db"), peers); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t port_ = 0;
};

TEST_F(DurabilityTest, LeasesSurviveACleanRestart) {
  write_config(config());
  start();
  auto before = ask(0);
  ASSERT_EQ(before["errno"], "0");
  EXPECT_EQ(server_->stop(), 0);
  EXPECT_NE(server_->log().find("stopped:"), std::string::npos);
  start();
  auto after = ask(0, "request_ip=1\nipv4=" + before["ipv4"] + "\nipv6=" + before["ipv6"] + "\n\n");
  EXPECT_EQ(after["ipv4"], before["ipv4"]);  // hints are granted only for held leases
  EXPECT_EQ(after["ipv6"], before["ipv6"]);
  // And nobody else can get them.
  for (std::uint32_t p = 1; p < 8; ++p) EXPECT_NE(ask(p)["ipv4"], before["ipv4"]);
}

TEST_F(DurabilityTest, LeasesExpireAndExpiredOnesAreReclaimedAtStart) {
  std::string cfg = make_config(dir_.file("leases.db"), 4, "", "", "10.47.0.9-10.47.0.9");
  write_config(replace(cfg, "\"min-valid-lifetime\": 60", "\"min-valid-lifetime\": 1"));
  start();
  auto a = ask(0, "request_ip=1\nleasetime=1\n\n");
  ASSERT_EQ(a["ipv4"], "10.47.0.9/32");
  EXPECT_EQ(ask(1).count("ipv4"), 0u);  // the only address is taken
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto b = ask(1, "request_ip=1\nleasetime=2\n\n");
  EXPECT_EQ(b["ipv4"], "10.47.0.9/32");  // expired by the timer, handed out again
  server_->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // expires while the server is down
  start();
  EXPECT_EQ(ask(2)["ipv4"], "10.47.0.9/32");
  EXPECT_EQ(summarize(dir_.file("leases.db")).doubled, 0);
}

TEST_F(DurabilityTest, SighupReloadsAndABadReloadChangesNothing) {
  std::string cfg = config();
  write_config(cfg);
  start();
  EXPECT_EQ(ask(0)["leasetime"], "3600");
  write_config(replace(cfg, "\"valid-lifetime\": 3600", "\"valid-lifetime\": 1800"));
  server_->signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(*server_, "configuration reloaded"));
  EXPECT_EQ(ask(1)["leasetime"], "1800");
  write_config("{ this is not json");
  server_->signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(*server_, "refused, keeping the running configuration"));
  EXPECT_EQ(ask(2)["leasetime"], "1800");
  EXPECT_TRUE(server_->running());
}

TEST_F(DurabilityTest, KillNineDuringABurstLosesNothingAcknowledged) {
  constexpr std::uint32_t kPeers = 600;
  write_config(config(kPeers));
  start();
  struct Ack {
    std::uint32_t peer;
    std::string v4, v6;
  };
  std::mutex mu;
  std::vector<Ack> acked;
  std::atomic<bool> dead{false};
  std::vector<std::thread> workers;
  for (std::uint32_t w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (std::uint32_t p = w; p < kPeers && !dead; p += 8) {
        Client c(peer_source(p), port_);
        if (!c.connected()) return;
        auto kv = parse_lines(c.request("request_ip=1\n\n"));
        if (kv["errno"] != "0") continue;
        std::lock_guard lock(mu);
        acked.push_back(Ack{p, kv["ipv4"], kv["ipv6"]});
      }
    });
  }
  // Kill once a good part of the burst is acknowledged; wait for progress, not for a fixed
  // time, so that a slow machine (sanitizers, parallel tests) still gets a real test.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < give_up) {
    {
      std::lock_guard lock(mu);
      if (acked.size() >= 100) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->kill9();
  dead = true;
  for (auto& t : workers) t.join();
  ASSERT_GE(acked.size(), 100u) << "the burst made too little progress in 30 s";
  ASSERT_LT(acked.size(), kPeers) << "the kill came after the burst ended";

  start();
  std::set<std::string> seen;
  for (const auto& a : acked) {
    auto kv = ask(a.peer, "request_ip=1\nipv4=" + a.v4 + "\nipv6=" + a.v6 + "\n\n");
    EXPECT_EQ(kv["ipv4"], a.v4) << "peer " << a.peer << " lost its acknowledged IPv4 lease";
    EXPECT_EQ(kv["ipv6"], a.v6) << "peer " << a.peer << " lost its acknowledged IPv6 lease";
    EXPECT_TRUE(seen.insert(kv["ipv4"]).second) << kv["ipv4"] << " held twice";
  }
  server_->stop();
  DbSummary s = summarize(dir_.file("leases.db"));
  EXPECT_EQ(s.doubled, 0);
  EXPECT_GE(s.live4, static_cast<int>(acked.size()));
  EXPECT_EQ(s.live4, s.live6);
}

// A full disk: requests fail with errno 1 while it is full, nothing acknowledged is lost,
// and the server recovers by itself once there is space again.
TEST_F(DurabilityTest, FullDiskFailsRequestsCleanlyAndRecovers) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string mnt = dir_.file("small");
  std::filesystem::create_directory(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) GTEST_SKIP() << "cannot mount tmpfs here";
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};

  constexpr std::uint32_t kPeers = 3000;
  std::string db = mnt + "/leases.db";
  write_config(make_config(db, kPeers));
  start();
  ASSERT_EQ(ask(0)["errno"], "0");
  {  // Fill the file system.
    std::ofstream fill(mnt + "/filler", std::ios::binary);
    std::string block(4096, 'x');
    while (fill.write(block.data(), static_cast<std::streamsize>(block.size())) && fill.flush()) {
    }
  }
  std::map<std::uint32_t, std::map<std::string, std::string>> acked;
  std::uint32_t failed = 0, next = 1;
  for (; next < kPeers && failed < 5; ++next) {
    auto kv = ask(next);
    if (kv["errno"] == "0") acked[next] = kv;
    else if (kv["errno"] == "1") ++failed;
    else ADD_FAILURE() << "unexpected answer errno=" << kv["errno"];
  }
  EXPECT_EQ(failed, 5u) << "the disk never filled up";
  EXPECT_TRUE(server_->running());
  std::filesystem::remove(mnt + "/filler");
  EXPECT_EQ(ask(next)["errno"], "0");  // recovered without a restart
  acked[next] = ask(next);
  server_->stop();
  start();
  for (const auto& [peer, kv] : acked) {
    auto again = ask(peer, "request_ip=1\nipv4=" + kv.at("ipv4") + "\n\n");
    EXPECT_EQ(again["ipv4"], kv.at("ipv4")) << "peer " << peer;
  }
  server_->stop();
}

TEST(ServerCommandLine, CheckConfigAndBadConfig) {
  TempDir dir;
  std::string good = make_config(dir.file("leases.db"), 2);
  std::ofstream(dir.file("good.json")) << good;
  auto ok = run_server_command({"--check-config", "--config", dir.file("good.json")});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  std::ofstream(dir.file("bad.json")) << replace(good, "\"10.47.0.0/17\"", "\"10.99.0.0/17\"");
  auto bad = run_server_command({"--check-config", "--config", dir.file("bad.json")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("Leasehold.subnet4[0].pools[0].pool"), std::string::npos) << bad.output;
  auto run_bad = run_server_command({"--config", dir.file("bad.json")});
  EXPECT_EQ(run_bad.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("leases.db")));  // refused before touching anything
  auto missing = run_server_command({"--config", dir.file("nope.json")});
  EXPECT_EQ(missing.exit_code, 1);
}

}  // namespace
}  // namespace leasehold::testing
