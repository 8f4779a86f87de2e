// The leaseholdctl binary against the real server: the pinned CLI form
// (`leaseholdctl lease4-get ip-address=...`), exit statuses, JSON output, the friendly
// commands, and HTTP with basic authentication.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace leasehold::testing {
namespace {

using nlohmann::json;

class LeaseholdctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = static_cast<std::uint16_t>(40000 + ::getpid() % 20000);
    std::ofstream(dir_.file("server.json")) << make_config(
        dir_.file("leases.db"), 2,
        R"(, "control-socket": { "socket-type": "unix", "socket-name": ")" + sock() + R"(" },
           "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": )" +
            std::to_string(port_) + R"(, "authentication": { "type": "basic", "clients": [ { "user": "admin", "password": "pw" } ] } } ])");
    server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
    ASSERT_NE(server_->start(), 0) << server_->log();
  }
  std::string sock() const { return dir_.file("ctl.sock"); }
  RunResult ctl(const std::string& args) { return run_command(std::string(LEASEHOLDCTL_PATH) + " -s " + sock() + " " + args); }

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LeaseholdctlTest, KeyValueCommandsAndExitStatuses) {
  auto add = ctl("lease4-add ip-address=10.47.200.5 public-key=" + test_key(0) + " hostname=alpha valid-lft=600");
  EXPECT_EQ(add.exit_code, 0) << add.output;
  EXPECT_EQ(add.output, "ok: Lease for address 10.47.200.5, subnet-id 1 added.\n");
  auto get = ctl("lease4-get ip-address=10.47.200.5");
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_NE(get.output.find("hostname: alpha"), std::string::npos) << get.output;
  auto json_out = ctl("-j lease4-get ip-address=10.47.200.5");
  EXPECT_EQ(json::parse(json_out.output)["arguments"]["valid-lft"], 600) << json_out.output;
  EXPECT_EQ(ctl("lease4-get ip-address=10.47.200.6").exit_code, 3);
  EXPECT_EQ(ctl("lease4-add ip-address=10.47.200.5 public-key=" + test_key(1)).exit_code, 4);
  EXPECT_EQ(ctl("lease4-add ip-address=10.99.0.1 public-key=" + test_key(1)).exit_code, 1);
  EXPECT_EQ(ctl("no-such-command").exit_code, 2);
  EXPECT_EQ(ctl("lease4-get =x").exit_code, 64);
  EXPECT_EQ(run_command(std::string(LEASEHOLDCTL_PATH) + " -s " + dir_.file("none.sock") + " version-get").exit_code, 69);
  auto via_args = ctl("lease4-get -a '{\"ip-address\": \"10.47.200.5\"}'");
  EXPECT_EQ(via_args.exit_code, 0) << via_args.output;
}

TEST_F(LeaseholdctlTest, FriendlyCommands) {
  ASSERT_EQ(ctl("lease4-add ip-address=10.47.200.5 public-key=" + test_key(0)).exit_code, 0);
  ASSERT_EQ(ctl("lease6-add ip-address=fd00:47::5 public-key=" + test_key(0)).exit_code, 0);
  auto leases = ctl("leases");
  EXPECT_EQ(leases.exit_code, 0) << leases.output;
  EXPECT_NE(leases.output.find("10.47.200.5"), std::string::npos) << leases.output;
  EXPECT_NE(leases.output.find("fd00:47::5"), std::string::npos) << leases.output;
  EXPECT_EQ(ctl("leases --v6").output.find("10.47.200.5"), std::string::npos);
  auto peer = ctl("peer " + test_key(0));
  EXPECT_EQ(peer.exit_code, 0) << peer.output;
  EXPECT_NE(peer.output.find(test_key(0)), std::string::npos) << peer.output;
  EXPECT_EQ(ctl("peer " + test_key(1)).exit_code, 3);
  auto pools = ctl("pools");
  EXPECT_EQ(pools.exit_code, 0) << pools.output;
  auto row = pools.output.substr(pools.output.find("10.47.0.0/16"));
  row = row.substr(0, row.find('\n'));
  EXPECT_NE(row.find(" 32766 "), std::string::npos) << pools.output;  // total
  EXPECT_NE(row.find(" 32765 "), std::string::npos) << pools.output;  // free
}

TEST_F(LeaseholdctlTest, OverHttpWithBasicAuth) {
  std::string url = " -U http://127.0.0.1:" + std::to_string(port_) + "/ ";
  auto ok = run_command(std::string(LEASEHOLDCTL_PATH) + url + "-u admin --password pw status-get");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("pid: "), std::string::npos) << ok.output;
  auto denied = run_command(std::string(LEASEHOLDCTL_PATH) + url + "-u admin --password nope status-get");
  EXPECT_EQ(denied.exit_code, 69) << denied.output;
  EXPECT_NE(denied.output.find("HTTP 401"), std::string::npos) << denied.output;
}

}  // namespace
}  // namespace leasehold::testing
