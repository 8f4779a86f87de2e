// leaseholdctl's pure parts: key=value words to a command, exit statuses, URL parsing
// and the readable rendering of answers.
#include <gtest/gtest.h>

#include "ctl/command_line.h"
#include "ctl/render.h"
#include "ctl/transport.h"

namespace leasehold::ctl {
namespace {

using nlohmann::json;

TEST(CommandLine, PairsBecomeTypedArguments) {
  auto c = build_command("lease4-add", {"ip-address=10.0.0.5", "subnet-id=1", "force-create=true", "hostname=h1",
                                        "user-context={\"a\":1}", "note=1x", "name:=\"7\"", "empty="},
                         std::nullopt);
  ASSERT_TRUE(c);
  const json& a = (*c)["arguments"];
  EXPECT_EQ(a["ip-address"], "10.0.0.5");
  EXPECT_EQ(a["subnet-id"], 1);
  EXPECT_EQ(a["force-create"], true);
  EXPECT_EQ(a["hostname"], "h1");
  EXPECT_EQ(a["user-context"], json({{"a", 1}}));
  EXPECT_EQ(a["note"], "1x");
  EXPECT_EQ(a["name"], "7");
  EXPECT_EQ(a["empty"], "");
}

TEST(CommandLine, NoArgumentsMeansNoArgumentsKeyAndBaseIsMerged) {
  EXPECT_EQ(*build_command("version-get", {}, std::nullopt), json({{"command", "version-get"}}));
  auto c = build_command("lease4-get", {"ip-address=10.0.0.9"}, json{{"ip-address", "10.0.0.1"}, {"x", 1}});
  EXPECT_EQ((*c)["arguments"], json({{"ip-address", "10.0.0.9"}, {"x", 1}}));
  EXPECT_FALSE(build_command("x", {"=1"}, std::nullopt));
  EXPECT_FALSE(build_command("x", {"novalue"}, std::nullopt));
  EXPECT_FALSE(build_command("x", {"k:=notjson"}, std::nullopt));
  EXPECT_FALSE(build_command("", {}, std::nullopt));
  EXPECT_TRUE(parse_arguments_text("{ \"a\": 1 } // comment"));
  EXPECT_FALSE(parse_arguments_text("[1]"));
  EXPECT_FALSE(parse_arguments_text("{"));
}

TEST(CommandLine, ExitStatusIsTheResult) {
  EXPECT_EQ(exit_status_for(json{{"result", 3}}), 3);
  EXPECT_EQ(exit_status_for(json::array({json{{"result", 4}}})), 4);
  EXPECT_EQ(exit_status_for(json{{"result", 401}}), 1);
  EXPECT_EQ(exit_status_for(json("x")), 1);
}

TEST(Transport, ParsesUrls) {
  auto t = parse_url("https://[::1]:8443/x");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, "8443");
  EXPECT_EQ(t->path, "/x");
  EXPECT_EQ(parse_url("http://ctl.example")->port, "80");
  EXPECT_FALSE(parse_url("ftp://x"));
  EXPECT_FALSE(send_unix("/nonexistent/leasehold.sock", "{}", std::chrono::milliseconds(100)));
}

TEST(Render, LeasesAsATable) {
  json rows = json::array({json{{"ip-address", "10.0.0.5"}, {"public-key", "Xxrf3hY1qo5eVf678MqlI3pigWpIrY8yTkwwCEPeEmk="},
                                {"subnet-id", 1}, {"state", 0}, {"expire", 1000 + 3300}, {"hostname", "a"}, {"cltt", 1}},
                           json{{"ip-address", "10.0.0.10"}, {"public-key", "YBSIyZcvC5Ty6kUOhiVnX+W1xFjUL8s6zSW7rmKwUFE="},
                                {"subnet-id", 1}, {"state", 2}, {"expire", 1000 - 7200}}});
  std::string t = render_table(rows, {false, 1000});
  EXPECT_NE(t.find("ip-address  public-key  subnet-id  state"), std::string::npos) << t;
  EXPECT_NE(t.find("Xxrf3hY1…"), std::string::npos) << t;
  EXPECT_NE(t.find("expired-reclaimed"), std::string::npos) << t;
  EXPECT_NE(t.find("(in 55m)"), std::string::npos) << t;
  EXPECT_NE(t.find("(2h ago)"), std::string::npos) << t;
  EXPECT_EQ(t.find("cltt"), std::string::npos) << t;
  EXPECT_NE(render_table(rows, {true, 1000}).find("YBSIyZcvC5Ty6kUOhiVnX+W1xFjUL8s6zSW7rmKwUFE="), std::string::npos);
}

TEST(Render, AnswersReadably) {
  EXPECT_EQ(render_answer(json{{"result", 3}, {"text", "Lease not found."}}, {}), "not found: Lease not found.\n");
  EXPECT_EQ(render_answer(json{{"result", 0}, {"arguments", {"a", "b"}}}, {}), "a\nb\n");
  json stat = {{"result", 0}, {"arguments", {{"x", {{7, "2026-11-24 01:02:03.000001"}}}}}};
  EXPECT_EQ(render_answer(stat, {}), "x: 7\n");
}

}  // namespace
}  // namespace leasehold::ctl
