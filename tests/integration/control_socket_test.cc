// The control API's UNIX socket against the real server binary: Kea's framing (one
// command per connection), the daemon commands with Kea's texts, the timeout answer, the
// socket file's mode and life, and shutdown.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>
#include <algorithm>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness.h"

namespace leasehold::testing {
namespace {

using nlohmann::json;

class ControlSocketTest : public ::testing::Test {
 protected:
  std::string socket_path() const { return dir_.file("ctl.sock"); }
  std::string config(const std::string& extra = "") const {
    return make_config(dir_.file("leases.db"), 2,
                       R"(, "control-socket": { "socket-type": "unix", "socket-name": ")" + socket_path() + "\" }" + extra);
  }
  void start() {
    std::ofstream(dir_.file("server.json")) << config();
    server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
    ASSERT_NE(server_->start(), 0) << server_->log();
  }
  std::string raw(const std::string& command, int timeout_ms = 5000) {
    return control_command(socket_path(), command, timeout_ms);
  }
  json call(const std::string& command) {
    std::string text = raw(command);
    json out = json::parse(text, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << text;
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ControlSocketTest, ListCommandsListsCanonicalNamesSorted) {
  start();
  json r = call(R"({"command": "list-commands"})");
  ASSERT_EQ(r["result"], 0);
  std::vector<std::string> names = r["arguments"];
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"build-report", "config-get", "config-reload", "config-test", "list-commands", "shutdown",
                           "status-get", "version-get", "lease4-add", "lease6-get-page", "lease4-wipe"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  // The spec's names are aliases: callable, never listed.
  EXPECT_EQ(std::find(names.begin(), names.end(), "add-lease4"), names.end());
}

// A lease added over the socket is durable when the answer comes: it survives a kill -9
// straight after, and the peer then gets that address back over request_ip.
TEST_F(ControlSocketTest, AddedLeaseIsDurableAndServedToItsPeer) {
  start();
  json added = call(R"({"command": "lease4-add", "arguments": {"ip-address": "10.47.200.7", "public-key": ")" +
                    test_key(1) + R"(", "hostname": "peer1"}})");
  ASSERT_EQ(added["result"], 0) << added.dump();
  json spec_alias = call(R"({"command": "add-lease6", "arguments": {"ip-address": "fd00:47::7", "public-key": ")" +
                         test_key(1) + R"("}})");
  ASSERT_EQ(spec_alias["result"], 0) << spec_alias.dump();
  server_->kill9();
  server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
  ASSERT_NE(server_->start(), 0) << server_->log();
  json got = call(R"({"command": "lease4-get", "arguments": {"ip-address": "10.47.200.7"}})");
  ASSERT_EQ(got["result"], 0) << got.dump();
  EXPECT_EQ(got["arguments"]["public-key"], test_key(1));
  EXPECT_EQ(got["arguments"]["hostname"], "peer1");
  // Restored leases are counted at start.
  json assigned = call(R"({"command": "statistic-get", "arguments": {"name": "subnet[1].assigned-nas"}})");
  EXPECT_EQ(assigned["arguments"]["subnet[1].assigned-nas"][0][0], 1) << assigned.dump();
  Client c(peer_source(1), server_->port());
  auto lines = parse_lines(c.request("request_ip=1\n\n"));
  EXPECT_EQ(lines["errno"], "0");
  EXPECT_EQ(lines["ipv4"], "10.47.200.7/32");
  EXPECT_EQ(lines["ipv6"], "fd00:47::7/128");
  // Deleted over the socket: gone from the store as well.
  EXPECT_EQ(call(R"({"command": "lease4-del", "arguments": {"ip-address": "10.47.200.7"}})")["result"], 0);
  server_->kill9();
  server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
  ASSERT_NE(server_->start(), 0) << server_->log();
  EXPECT_EQ(call(R"({"command": "lease4-get", "arguments": {"ip-address": "10.47.200.7"}})")["result"], 3);
}

// Statistics follow protocol requests and control commands alike.
TEST_F(ControlSocketTest, StatisticsCountRequestsAndLeases) {
  start();
  auto stat = [&](const std::string& name) {
    json r = call(R"({"command": "statistic-get", "arguments": {"name": ")" + name + R"("}})");
    EXPECT_EQ(r["result"], 0) << r.dump();
    return r["arguments"].contains(name) ? r["arguments"][name][0][0].get<std::int64_t>() : -1;
  };
  EXPECT_EQ(stat("subnet[1].total-addresses"), 32766);  // the /17 pool less its network and broadcast address
  EXPECT_EQ(stat("subnet[1].assigned-addresses"), 0);
  Client c(peer_source(0), server_->port());
  ASSERT_EQ(parse_lines(c.request("request_ip=1\n\n"))["errno"], "0");
  ASSERT_EQ(call(R"({"command": "lease4-add", "arguments": {"ip-address": "10.47.200.9", "public-key": ")" + test_key(1) +
                 R"("}})")["result"], 0);
  EXPECT_EQ(stat("subnet[1].assigned-addresses"), 2);
  EXPECT_EQ(stat("subnet[1].assigned-nas"), 1);
  EXPECT_EQ(stat("request-ip-received"), 1);
  EXPECT_EQ(stat("request-ip-granted"), 1);
  EXPECT_EQ(call(R"({"command": "lease4-del", "arguments": {"ip-address": "10.47.200.9"}})")["result"], 0);
  EXPECT_EQ(stat("subnet[1].assigned-addresses"), 1);
  EXPECT_EQ(stat("subnet[1].cumulative-assigned-addresses"), 2);
}

// A reservation added over the socket is stored: after a restart the peer still gets it.
TEST_F(ControlSocketTest, ReservationAddedOverTheSocketSurvivesARestart) {
  start();
  json added = call(R"({"command": "reservation-add", "arguments": {"reservation": {"public-key": ")" + test_key(1) +
                    R"(", "ip-address": "10.47.201.1", "hostname": "r1"}}})");
  ASSERT_EQ(added["result"], 0) << added.dump();
  server_->kill9();
  server_ = std::make_unique<ServerProcess>(dir_.file("server.json"), dir_.file("server.log"));
  ASSERT_NE(server_->start(), 0) << server_->log();
  Client c(peer_source(1), server_->port());
  EXPECT_EQ(parse_lines(c.request("request_ip=1\n\n"))["ipv4"], "10.47.201.1/32");
  EXPECT_EQ(call(R"({"command": "reservation-get", "arguments": {"ip-address": "10.47.201.1"}})")["arguments"]["hostname"], "r1");
}

// Options set over the socket reach peers as key=value lines: global, subnet and host
// scope, definitions added and refused, and config-write keeps them.
TEST_F(ControlSocketTest, OptionCommandsReachTheAnswer) {
  start();
  EXPECT_EQ(call(R"({"command": "option4-add", "arguments": {"options": [{"name": "mtu", "data": "1420"}]}})")["result"], 0);
  EXPECT_EQ(call(R"({"command": "option4-add", "arguments": {"options": [{"name": "mtu", "data": "1500"}]}})")["result"], 4);
  EXPECT_EQ(call(R"({"command": "option4-add", "arguments": {"options": [{"name": "mtu", "data": "big"}]}})")["result"], 1);
  EXPECT_EQ(call(R"({"command": "add-option6", "arguments": {"subnet-id": 1, "options": [{"name": "dns", "data": "fd00:47::53"}]}})")["result"], 0);
  EXPECT_EQ(call(R"({"command": "option6-add", "arguments": {"subnet-id": 9, "options": [{"name": "dns", "data": "fd00:47::53"}]}})")["result"], 3);
  json def = call(R"({"command": "add-option4-def", "arguments": {"option-defs": [{"name": "ntp", "code": 42, "type": "ipv4-address", "array": true}]}})");
  EXPECT_EQ(def["result"], 0) << def.dump();
  EXPECT_EQ(call(R"({"command": "option-def4-add", "arguments": {"option-defs": [{"name": "ntp", "code": 43, "type": "string"}]}})")["result"], 4);
  EXPECT_EQ(call(R"({"command": "option-def4-del", "arguments": {"name": "dns"}})")["result"], 4);  // standard
  ASSERT_EQ(call(R"({"command": "reservation-add", "arguments": {"reservation": {"public-key": ")" + test_key(1) +
                 R"(", "ip-address": "10.47.201.2", "option-data": [{"name": "ntp", "data": "10.47.0.123"}]}}})")["result"], 0);
  Client c1(peer_source(1), server_->port());
  auto host_lines = parse_lines(c1.request("request_ip=1\n\n"));
  EXPECT_EQ(host_lines["ipv4"], "10.47.201.2/32");
  EXPECT_EQ(host_lines["ntp"], "10.47.0.123");  // the reservation's own option
  EXPECT_EQ(host_lines["mtu"], "1420");
  EXPECT_EQ(call(R"({"command": "option-def4-del", "arguments": {"name": "ntp"}})")["result"], 0);  // not in the config's values
  Client c0(peer_source(0), server_->port());
  auto lines = parse_lines(c0.request("request_ip=1\n\n"));
  EXPECT_EQ(lines["mtu"], "1420");
  EXPECT_EQ(lines["dns"], "fd00:47::53");
  EXPECT_EQ(lines.count("ntp"), 0u);
  json written = call(R"({"command": "config-write", "arguments": {"filename": "with-options.json"}})");
  ASSERT_EQ(written["result"], 0) << written.dump();
  json file = json::parse(std::ifstream(dir_.file("with-options.json")));
  EXPECT_EQ(file["Leasehold"]["option-data"][0]["name"], "mtu");
  EXPECT_EQ(file["Leasehold"]["subnet6"][0]["option-data"][0]["data"], "fd00:47::53");
  EXPECT_EQ(call(R"({"command": "option4-del", "arguments": {"name": "mtu"}})")["result"], 0);
  EXPECT_EQ(call(R"({"command": "option4-del", "arguments": {"name": "mtu"}})")["result"], 3);
}

TEST_F(ControlSocketTest, SocketFileIsPrivate) {
  start();
  struct stat st {};
  ASSERT_EQ(::lstat(socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControlSocketTest, VersionGetAndBuildReport) {
  start();
  json v = call(R"({"command": "version-get"})");
  EXPECT_EQ(v["result"], 0);
  EXPECT_EQ(v["text"].get<std::string>().rfind("leasehold ", 0), 0u) << v.dump();
  std::string extended = v["arguments"]["extended"];
  EXPECT_EQ(extended.rfind(v["text"].get<std::string>() + "\nlinked with:\n", 0), 0u) << extended;
  json b = call(R"({"command": "build-report"})");
  EXPECT_EQ(b["result"], 0);
  EXPECT_NE(b["text"].get<std::string>().find("Version: "), std::string::npos) << b.dump();
}

TEST_F(ControlSocketTest, StatusGetHasKeasKeysAndNoText) {
  start();
  json s = call(R"({"command": "status-get"})");
  EXPECT_EQ(s["result"], 0);
  EXPECT_FALSE(s.contains("text"));
  EXPECT_GT(s["arguments"]["pid"].get<int>(), 0);
  EXPECT_GE(s["arguments"]["uptime"].get<int>(), 0);
  EXPECT_GE(s["arguments"]["reload"].get<int>(), 0);
  EXPECT_TRUE(s["arguments"]["multi-threading-enabled"].is_boolean());
}

TEST_F(ControlSocketTest, ConfigGetShowsTheRunningFile) {
  start();
  json c = call(R"({"command": "config-get"})");
  EXPECT_EQ(c["result"], 0);
  EXPECT_FALSE(c.contains("text"));
  EXPECT_EQ(c["arguments"]["Leasehold"]["valid-lifetime"], 3600);
  EXPECT_EQ(c["arguments"]["Leasehold"]["control-socket"]["socket-name"], socket_path());
}

TEST_F(ControlSocketTest, ConfigTestAnswersAsKea) {
  start();
  json good = json::parse(config());
  json ok = call(json{{"command", "config-test"}, {"arguments", good}}.dump());
  EXPECT_EQ(ok, json::parse(R"({"result": 0, "text": "Configuration seems sane. Control-socket, hook-libraries, )"
                            R"(and D2 configuration were sanity checked, but not applied."})"));
  good["Leasehold"]["valid-lifetim"] = 5;
  json bad = call(json{{"command", "config-test"}, {"arguments", good}}.dump());
  EXPECT_EQ(bad, json::parse(R"({"result": 1, "text": "Leasehold.valid-lifetim: unknown parameter"})"));
  EXPECT_EQ(raw(R"({ "command": "config-test" })"), R"({ "result": 1, "text": "Missing mandatory 'arguments' parameter." })");
  EXPECT_EQ(raw(R"({ "command": "config-test", "arguments": { "Dhcp4": {} } })"),
            R"({ "result": 1, "text": "Missing mandatory 'Leasehold' parameter." })");
  EXPECT_EQ(raw(R"({ "command": "config-test", "arguments": { "Leasehold": 1 } })"),
            R"({ "result": 1, "text": "'Leasehold' parameter expected to be a map." })");
}

TEST_F(ControlSocketTest, ThreeMegabyteCommandIsAnswered) {
  start();
  json args = json::parse(config());
  args["Leasehold"]["user-context"] = {{"blob", std::string(3 * 1024 * 1024, 'x')}};
  json ok = call(json{{"command", "config-test"}, {"arguments", args}}.dump());
  EXPECT_EQ(ok["result"], 0) << ok.dump().substr(0, 300);
}

// A multi-megabyte answer: the running configuration with a 4 MB user-context.
TEST_F(ControlSocketTest, MultiMegabyteResponsesAreWhole) {
  start();
  json cfg = json::parse(config());
  cfg["Leasehold"]["user-context"] = {{"blob", std::string(4 * 1024 * 1024, 'y')}};
  ASSERT_EQ(call(json{{"command", "config-set"}, {"arguments", cfg}}.dump())["result"], 0);
  std::string text = raw(R"({"command": "config-get"})", 20000);
  EXPECT_GT(text.size(), 4u * 1024 * 1024);
  json got = json::parse(text, nullptr, false);
  ASSERT_FALSE(got.is_discarded());
  EXPECT_EQ(got["arguments"]["Leasehold"]["user-context"]["blob"].get<std::string>().size(), 4u * 1024 * 1024);
}

TEST_F(ControlSocketTest, ConfigReloadAnswersAsKea) {
  start();
  EXPECT_EQ(raw(R"({ "command": "config-reload" })"), R"({ "result": 0, "text": "Configuration successful." })");
  std::ofstream(dir_.file("server.json")) << R"({ "Leasehold": { "bogus": 1 } })";
  json failed = call(R"({ "command": "config-reload" })");
  EXPECT_EQ(failed["result"], 1);
  EXPECT_EQ(failed["text"].get<std::string>().rfind("Config reload failed: configuration error using file '" +
                                                    dir_.file("server.json") + "': ", 0),
            0u)
      << failed.dump();
  EXPECT_EQ(call(R"({"command": "status-get"})")["result"], 0);  // still serving
}

// config-set applies at once or not at all; config-write persists it (only next to the
// config file); config-reload with a file name switches to that file.
TEST_F(ControlSocketTest, ConfigSetWriteAndReloadFromAnotherFile) {
  start();
  json cfg = json::parse(config());
  cfg["Leasehold"]["valid-lifetime"] = 1800;
  cfg["Leasehold"]["min-valid-lifetime"] = 1800;
  cfg["Leasehold"]["max-valid-lifetime"] = 1800;
  json bad = cfg;
  bad["Leasehold"]["subnet4"][0]["pools"][0]["pool"] = "10.99.0.0/24";  // outside its subnet
  json refused = call(json{{"command", "config-set"}, {"arguments", bad}}.dump());
  EXPECT_EQ(refused["result"], 1) << refused.dump();
  EXPECT_EQ(call(R"({"command": "config-get"})")["arguments"]["Leasehold"]["valid-lifetime"], 3600);  // unchanged

  json ok = call(json{{"command", "set-config"}, {"arguments", cfg}}.dump());  // the spec's name
  EXPECT_EQ(ok, json::parse(R"({"result": 0, "text": "Configuration successful."})"));
  EXPECT_EQ(call(R"({"command": "config-get"})")["arguments"]["Leasehold"]["valid-lifetime"], 1800);
  Client c(peer_source(0), server_->port());
  EXPECT_EQ(parse_lines(c.request("request_ip=1\n\n"))["leasetime"], "1800");
  // The file is untouched until config-write.
  EXPECT_EQ(json::parse(std::ifstream(dir_.file("server.json")), nullptr, true, true)["Leasehold"]["valid-lifetime"], 3600);

  json written = call(R"({"command": "config-write", "arguments": {"filename": "copy.json"}})");
  EXPECT_EQ(written["result"], 0) << written.dump();
  EXPECT_EQ(written["text"], "Configuration written to " + dir_.file("copy.json") + " successful");
  EXPECT_EQ(json::parse(std::ifstream(dir_.file("copy.json")))["Leasehold"]["valid-lifetime"], 1800);
  EXPECT_EQ(written["arguments"]["size"], std::filesystem::file_size(dir_.file("copy.json")));
  json outside = call(R"({"command": "config-write", "arguments": {"filename": "/tmp/leasehold-evil.json"}})");
  EXPECT_EQ(outside["result"], 1);
  EXPECT_FALSE(std::filesystem::exists("/tmp/leasehold-evil.json"));
  EXPECT_EQ(call(R"({"command": "config-write", "arguments": {"filename": "../up.json"}})")["result"], 1);

  // Reload from another file: it applies and becomes the configuration file.
  cfg["Leasehold"]["valid-lifetime"] = 900;
  cfg["Leasehold"]["min-valid-lifetime"] = 900;
  cfg["Leasehold"]["max-valid-lifetime"] = 900;
  std::ofstream(dir_.file("other.json")) << cfg.dump();
  json reloaded = call(json{{"command", "config-reload"}, {"arguments", {{"filename", dir_.file("other.json")}}}}.dump());
  EXPECT_EQ(reloaded["result"], 0) << reloaded.dump();
  EXPECT_EQ(call(R"({"command": "config-get"})")["arguments"]["Leasehold"]["valid-lifetime"], 900);
  EXPECT_EQ(call(R"({"command": "config-write"})")["arguments"]["filename"], dir_.file("other.json"));
  EXPECT_EQ(call(R"({"command": "config-reload", "arguments": {"filename": "/nonexistent.json"}})")["result"], 1);
}

TEST_F(ControlSocketTest, UnknownMalformedAndInvalidCommands) {
  start();
  EXPECT_EQ(raw(R"({ "command": "foo-bar" })"), R"({ "result": 2, "text": "'foo-bar' command not supported." })");
  EXPECT_EQ(raw("hello"), R"({ "result": 1, "text": "invalid first character h" })");
  json malformed = call(R"({ "command": "version-get", })");
  EXPECT_EQ(malformed["result"], 1);
  EXPECT_EQ(malformed["text"].get<std::string>().rfind("error: ", 0), 0u) << malformed.dump();
}

TEST_F(ControlSocketTest, OneCommandPerConnectionAndTrickledBytes) {
  start();
  ControlClient c(socket_path());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(R"({ "command": )"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(c.send(R"("foo-bar" }{ "command": "version-get" })"));
  EXPECT_EQ(c.read_to_close(), R"({ "result": 2, "text": "'foo-bar' command not supported." })");
}

TEST_F(ControlSocketTest, SilentPartialCommandTimesOutWithKeasText) {
  start();
  const std::string partial = R"({ "command": "version-get")";
  ControlClient c(socket_path());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(partial));
  auto t0 = std::chrono::steady_clock::now();
  std::string answer = c.read_to_close(15000);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(answer, R"({ "result": 1, "text": "Connection over control channel timed out, discarded partial command of )" +
                        std::to_string(partial.size()) + R"( bytes" })");
  EXPECT_GE(waited, std::chrono::seconds(9));
}

TEST_F(ControlSocketTest, StaleSocketFileIsReplacedButALiveOneIsRefused) {
  {  // a socket file nobody listens on, as a killed server leaves it
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, socket_path().c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  start();
  EXPECT_EQ(call(R"({"command": "status-get"})")["result"], 0);
  std::ofstream(dir_.file("second.json")) << make_config(dir_.file("second.db"), 1,
      R"(, "control-socket": { "socket-type": "unix", "socket-name": ")" + socket_path() + "\" }");
  RunResult second = run_server_command({"--config", dir_.file("second.json")});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.output.find("another server is listening on it"), std::string::npos) << second.output;
  EXPECT_EQ(call(R"({"command": "status-get"})")["result"], 0);  // the first still owns it
}

TEST_F(ControlSocketTest, ShutdownAnswersThenStopsWithItsExitValue) {
  start();
  EXPECT_EQ(raw(R"({ "command": "shutdown", "arguments": { "exit-value": "x" } })"),
            R"({ "result": 1, "text": "parameter 'exit-value' is not an integer" })");
  EXPECT_EQ(raw(R"({ "command": "shutdown" })"), R"({ "result": 0, "text": "Shutting down." })");
  EXPECT_EQ(server_->wait_exit(), 0) << server_->log();
  EXPECT_FALSE(std::filesystem::exists(socket_path()));
}

TEST_F(ControlSocketTest, ShutdownExitValueBecomesTheExitCode) {
  start();
  EXPECT_EQ(raw(R"({ "command": "shutdown", "arguments": { "exit-value": 3 } })"),
            R"({ "result": 0, "text": "Shutting down." })");
  EXPECT_EQ(server_->wait_exit(), 3) << server_->log();
}

}  // namespace
}  // namespace leasehold::testing
