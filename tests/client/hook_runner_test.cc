#include "client/hook_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "temp_dir.h"

namespace leasehold::client {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string script(const testing::TempDir& dir, const std::string& body) {
  const std::string path = dir.file("hook.sh");
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(HookEnvironment, Variables) {
  Event e;
  e.reason = Reason::changed;
  e.addresses = {addr("10.0.0.9"), addr("fd00::5")};
  e.old_addresses = {addr("10.0.0.5"), std::nullopt};
  e.leasetime_seconds = 3600;
  auto env = hook_environment("wg0", e);
  EXPECT_EQ(env["LEASEHOLD_INTERFACE"], "wg0");
  EXPECT_EQ(env["LEASEHOLD_REASON"], "changed");
  EXPECT_EQ(env["LEASEHOLD_IPV4"], "10.0.0.9");
  EXPECT_EQ(env["LEASEHOLD_IPV6"], "fd00::5");
  EXPECT_EQ(env["LEASEHOLD_OLD_IPV4"], "10.0.0.5");
  EXPECT_EQ(env["LEASEHOLD_OLD_IPV6"], "");
  EXPECT_EQ(env["LEASEHOLD_LEASETIME"], "3600");
  Event expired;
  expired.reason = Reason::expired;
  EXPECT_EQ(hook_environment("wg0", expired)["LEASEHOLD_LEASETIME"], "");
}

TEST(HookRunner, RunsInOrderWithTheEnvironment) {
  testing::TempDir dir;
  const std::string out = dir.file("out");
  SystemClock clock;
  HookRunner runner(script(dir, "echo \"$LEASEHOLD_REASON $LEASEHOLD_IPV4 $LEASEHOLD_OLD_IPV4\" >> " + out), clock);
  Event bound;
  bound.reason = Reason::bound;
  bound.addresses.ipv4 = addr("10.0.0.5");
  Event changed = bound;
  changed.reason = Reason::changed;
  changed.old_addresses = bound.addresses;
  changed.addresses.ipv4 = addr("10.0.0.9");
  runner.run(hook_environment("wg0", bound));
  runner.run(hook_environment("wg0", changed));
  EXPECT_FALSE(runner.idle());
  runner.drain();
  EXPECT_TRUE(runner.idle());
  EXPECT_EQ(read(out), "bound 10.0.0.5 \nchanged 10.0.0.9 10.0.0.5\n");
}

TEST(HookRunner, DoesNotBlockAndKillsAnOverrunningHook) {
  testing::TempDir dir;
  const std::string out = dir.file("out");
  SystemClock clock;
  // The hook's child keeps running too: the whole process group goes.
  HookRunner runner(script(dir, "sleep 30 & sleep 30; echo late >> " + out), clock, /*timeout_ms=*/300);
  const auto start = std::chrono::steady_clock::now();
  runner.run(hook_environment("wg0", Event{}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));  // run() returns at once
  EXPECT_GE(runner.fd(), 0);
  runner.drain();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(read(out), "");
}

TEST(HookRunner, AMissingProgramIsLoggedNotFatal) {
  SystemClock clock;
  HookRunner runner("/nonexistent/hook", clock);
  runner.run(hook_environment("wg0", Event{}));
  runner.drain();
  EXPECT_TRUE(runner.idle());
}

TEST(HookRunner, NoPathRunsNothing) {
  SystemClock clock;
  HookRunner runner("", clock);
  runner.run(hook_environment("wg0", Event{}));
  EXPECT_TRUE(runner.idle());
}

}  // namespace
}  // namespace leasehold::client
