#include "control/envelope.h"

#include <gtest/gtest.h>

#include <string>

// Requests and raw responses quoted below are Kea 2.2's, from the exchanges recorded in
// shared/reference/kea/ (file numbers in the test names' comments).

namespace leasehold::control {
namespace {

using nlohmann::json;

std::string parse_error(std::string_view text) {
  auto command = parse_command(text);
  EXPECT_FALSE(command.ok()) << text;
  if (command.ok()) return {};
  EXPECT_EQ(command.error().code, Errc::invalid_argument);
  return command.error().message;
}

// ---- parsing ------------------------------------------------------------------------------

TEST(ParseCommand, NameOnly) {  // 01
  auto command = parse_command(R"({"command": "list-commands"})");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->name, "list-commands");
  EXPECT_FALSE(command->arguments);
  EXPECT_FALSE(command->service);
}

TEST(ParseCommand, ArgumentsAndService) {  // 10, 70
  auto command = parse_command(
      R"({ "command": "lease4-add", "arguments": { "ip-address": "192.0.2.202", "valid-lft": 3600,)"
      R"( "user-context": { "property1": 42 } }, "service": [ "dhcp4" ] })");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->name, "lease4-add");
  ASSERT_TRUE(command->arguments);
  EXPECT_EQ(command->arguments->at("ip-address"), "192.0.2.202");
  EXPECT_EQ(command->arguments->at("user-context").at("property1"), 42);
  ASSERT_TRUE(command->service);
  EXPECT_EQ(*command->service, std::vector<std::string>{"dhcp4"});
}

TEST(ParseCommand, CommentsAsKeaAllows) {  // 68
  auto command = parse_command("# comment before\n{ \"command\": \"version-get\", // trailing comment\n"
                               "  /* c comment */ \"arguments\": { } }");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->name, "version-get");
  EXPECT_EQ(*command->arguments, json::object());
}

TEST(ParseCommand, CommentMarksInsideStringsAreText) {
  auto command = parse_command(R"({"command": "a#b//c/*d*/", "arguments": {"k": "}\"{"}})");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->name, "a#b//c/*d*/");
  EXPECT_EQ(command->arguments->at("k"), "}\"{");
}

TEST(ParseCommand, TrailingBytesIgnoredAsKeaDoes) {  // 71, and 75's second command
  EXPECT_EQ(parse_command(R"({ "command": "version-get" } trailing)")->name, "version-get");
  EXPECT_EQ(parse_command(R"({"command": "a"}{"command": "b"})")->name, "a");
}

TEST(ParseCommand, RemoteAddressAcceptedAndDropped) {
  auto command = parse_command(R"({"command": "status-get", "remote-address": "127.0.0.1"})");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->name, "status-get");
}

TEST(ParseCommand, KeaTextsForMalformedJson) {  // 60, 65
  EXPECT_EQ(parse_error(R"({ "command": "list-commands", "arguments": { "a": } })"),
            "error: unexpected character } in <wire>:0:51");
  EXPECT_EQ(parse_error("hello"), "invalid first character h");
  EXPECT_EQ(parse_error("\"command\""), "invalid first character \"");
  EXPECT_EQ(parse_error("  x"), "invalid character x");
  EXPECT_EQ(parse_error("# c\nx"), "invalid character x");
  EXPECT_EQ(parse_error("/x"), "invalid characters /x");
  EXPECT_EQ(parse_error(R"({"command": 1/2})"), "invalid characters /2");
  EXPECT_EQ(parse_error("\x01{}"), "invalid first character \\x01");
}

TEST(ParseCommand, ErrorPositionsCountLinesAndIgnoreComments) {
  // The comment is blanked, not removed, so the column is the one in the text sent.
  EXPECT_EQ(parse_error("{ /* note */ \"command\": \"x\",\n  \"arguments\": tru}"),
            "error: unexpected character } in <wire>:1:19");
  EXPECT_EQ(parse_error(R"({"command": "x", "arguments": {"a": 1e999}})"), "error: number out of range");
  EXPECT_EQ(parse_error("{\"command\": \"\xc3\x28\"}"), "error: unexpected character ( in <wire>:0:15");
}

TEST(ParseCommand, KeaTextsForBadEnvelopes) {  // 62, 63, 64, 69
  EXPECT_EQ(parse_error(R"({ "arguments": { } })"),
            "Error during command processing: Invalid answer specified, does not contain mandatory 'command'");
  EXPECT_EQ(parse_error(R"({ "command": 123 })"),
            "Error during command processing: 'command' element in command message is not a string");
  EXPECT_EQ(parse_error(R"([ "list-commands" ])"),
            "Error during command processing: Invalid command Element specified, expected map");
  EXPECT_EQ(parse_error(R"({ "command": "version-get", "bogus": 1 })"),
            "Error during command processing: Received command contains unsupported parameter 'bogus'");
}

TEST(ParseCommand, KeaOrderOfEnvelopeChecks) {
  // A missing command is reported before a stray key, a stray key before a bad command type.
  EXPECT_NE(parse_error(R"({"bogus": 1})").find("mandatory 'command'"), std::string::npos);
  EXPECT_NE(parse_error(R"({"command": 1, "zz": 1})").find("parameter 'zz'"), std::string::npos);
}

TEST(ParseCommand, ArgumentsMustBeAnObject) {  // 67
  EXPECT_EQ(parse_error(R"({ "command": "lease4-get", "arguments": [ 1 ] })"), "Parameters missing or are not a map.");
  EXPECT_EQ(parse_error(R"({ "command": "lease4-get", "arguments": null })"), "Parameters missing or are not a map.");
  EXPECT_EQ(parse_error(R"({ "command": "lease4-get", "arguments": "x" })"), "Parameters missing or are not a map.");
}

TEST(ParseCommand, ServiceMustBeAListOfStrings) {
  EXPECT_EQ(parse_error(R"({ "command": "x", "service": "dhcp4" })"), "service value must be a list");
  EXPECT_EQ(parse_error(R"({ "command": "x", "service": [ 4 ] })"), "service value must be a list of strings");
  EXPECT_TRUE(parse_command(R"({ "command": "x", "service": [ ] })")->service->empty());
}

TEST(ParseCommand, EmptyAndIncomplete) {
  EXPECT_EQ(parse_error(""), "empty command");
  EXPECT_EQ(parse_error(" \n# only a comment\n"), "empty command");
  EXPECT_EQ(parse_error(R"({ "command": "status-get", )"), "incomplete command: the JSON value is not closed");
  EXPECT_EQ(parse_error(R"({ "command": "status-get)"), "incomplete command: the JSON value is not closed");
}

TEST(ParseCommand, LongUnsupportedKeyIsCut) {
  const std::string key(5000, 'k');
  const std::string text = parse_error(R"({"command": "x", ")" + key + R"(": 1})");
  EXPECT_LT(text.size(), 200u);
  EXPECT_NE(text.find("k...'"), std::string::npos);
}

// ---- nesting and size ---------------------------------------------------------------------

std::string nested(int levels) {
  std::string args = "1";
  for (int i = 0; i < levels; ++i) args = "[" + args + "]";
  return args;
}

TEST(ParseCommand, NestingUpToTheLimit) {
  // The envelope is level 1 and its arguments object level 2.
  const std::string deepest = R"({"command": "x", "arguments": {"a": )" + nested(kMaxDepth - 2) + "}}";
  auto command = parse_command(deepest);
  ASSERT_TRUE(command.ok()) << command.error().message;
  EXPECT_FALSE(dump_kea(*command->arguments).empty());

  const std::string too_deep = R"({"command": "x", "arguments": {"a": )" + nested(kMaxDepth - 1) + "}}";
  EXPECT_EQ(parse_error(too_deep), "command is nested deeper than 64 levels");
}

TEST(ParseCommand, HugeNestingRejectedBeforeParsing) {
  // A million brackets would exhaust the stack of any recursive walk of the value.
  EXPECT_EQ(parse_error(std::string(1'000'000, '[')), "command is nested deeper than 64 levels");
  EXPECT_EQ(parse_error(R"({"command": "x", "arguments": {"a": )" + std::string(1'000'000, '{')),
            "command is nested deeper than 64 levels");
}

TEST(ParseCommand, BracketsInStringsDoNotNest) {
  const std::string text = R"({"command": "x", "arguments": {"a": ")" + std::string(10'000, '[') + R"("}})";
  EXPECT_TRUE(parse_command(text).ok());
}

TEST(ParseCommand, FiveMegabyteCommand) {
  json leases = json::array();
  std::string big;
  while (big.size() < 5'000'000) {
    const json lease = {{"ip-address", "10.0." + std::to_string(leases.size() / 256 % 256) + "." +
                                           std::to_string(leases.size() % 256)},
                        {"hostname", std::string(200, 'h')},
                        {"valid-lft", 3600}};
    big.append(lease.dump());
    leases.push_back(lease);
  }
  const json request = {{"command", "lease4-bulk"}, {"arguments", {{"leases", leases}}}};
  const std::string text = request.dump();
  ASSERT_GT(text.size(), 5'000'000u);
  auto command = parse_command(text);
  ASSERT_TRUE(command.ok()) << command.error().message;
  EXPECT_EQ(command->arguments->at("leases").size(), leases.size());
  EXPECT_EQ(scan_command(text).length, text.size());
}

// ---- framing ------------------------------------------------------------------------------

TEST(ScanCommand, EveryPrefixNeedsMoreThenCompletes) {
  const std::string text = R"(# hi
{ "command": "x", /* } */ "arguments": { "s": "\"}]", "l": [ 1, { } ] } })";
  for (std::size_t n = 0; n < text.size(); ++n)
    EXPECT_EQ(scan_command(std::string_view(text).substr(0, n)).status, ScanStatus::need_more) << n;
  const CommandScan whole = scan_command(text + "\n{\"next\"");
  EXPECT_EQ(whole.status, ScanStatus::complete);
  EXPECT_EQ(whole.length, text.size());
}

TEST(ScanCommand, InvalidAsSoonAsProven) {
  const CommandScan scan = scan_command("hel");
  EXPECT_EQ(scan.status, ScanStatus::invalid);
  EXPECT_EQ(scan.message, "invalid first character h");
  EXPECT_EQ(scan_command("{\"a\": /").status, ScanStatus::need_more);
  EXPECT_EQ(scan_command("{\"a\": /-").status, ScanStatus::invalid);
}

// ---- responses ----------------------------------------------------------------------------

TEST(ControlResponse, TextOnlyAsKea) {  // 10, 12, 23, 61
  EXPECT_EQ(format_response(answer(ResultCode::success, "Lease for address 192.0.2.202, subnet-id 1 added.")),
            R"({ "result": 0, "text": "Lease for address 192.0.2.202, subnet-id 1 added." })");
  EXPECT_EQ(format_response(answer(ResultCode::error, "IPv4 lease already exists.")),
            R"({ "result": 1, "text": "IPv4 lease already exists." })");
  EXPECT_EQ(format_response(answer(ResultCode::empty, "Lease not found.")),
            R"({ "result": 3, "text": "Lease not found." })");
  EXPECT_EQ(format_response(answer(ResultCode::unsupported, "'foo-bar' command not supported.")),
            R"({ "result": 2, "text": "'foo-bar' command not supported." })");
}

TEST(ControlResponse, ArgumentsAndTextAsKea) {  // 20
  const json lease = {{"client-id", "01:1a:1b:1c:1d:1e:1f"}, {"cltt", 1899996400},
                      {"fqdn-fwd", true},                    {"fqdn-rev", true},
                      {"hostname", "myhost.example.com."},   {"hw-address", "1a:1b:1c:1d:1e:1f"},
                      {"ip-address", "192.0.2.202"},         {"state", 0},
                      {"subnet-id", 1},                      {"user-context", {{"property1", 42}}},
                      {"valid-lft", 3600}};
  EXPECT_EQ(format_response(answer(ResultCode::success, "IPv4 lease found.", lease)),
            R"({ "arguments": { "client-id": "01:1a:1b:1c:1d:1e:1f", "cltt": 1899996400, "fqdn-fwd": true, )"
            R"("fqdn-rev": true, "hostname": "myhost.example.com.", "hw-address": "1a:1b:1c:1d:1e:1f", )"
            R"("ip-address": "192.0.2.202", "state": 0, "subnet-id": 1, "user-context": { "property1": 42 }, )"
            R"("valid-lft": 3600 }, "result": 0, "text": "IPv4 lease found." })");
}

TEST(ControlResponse, ArgumentsWithoutTextAsKea) {  // 01 (shortened), 74, 50
  EXPECT_EQ(format_response(answer_arguments(ResultCode::success, json::array({"build-report", "config-get"}))),
            R"({ "arguments": [ "build-report", "config-get" ], "result": 0 })");
  EXPECT_EQ(format_response(answer_arguments(ResultCode::success, json::object())), R"({ "arguments": {  }, "result": 0 })");
  EXPECT_EQ(format_response(answer(ResultCode::empty, "0 IPv4 lease(s) found.", {{"leases", json::array()}})),
            R"({ "arguments": { "leases": [  ] }, "result": 3, "text": "0 IPv4 lease(s) found." })");
}

TEST(DumpKea, RawKeaResponsesReadBackByteForByte) {  // 02, 04, 26
  for (const char* raw : {
           R"({ "arguments": { "extended": "2.2.0\ntarball\nlinked with:\nlog4cplus 2.0.8\nOpenSSL 3.0.19 27 Jan 2026\ndatabase:\nMySQL backend 14.0, library 3.3.20\nPostgreSQL backend 13.0, library 150018\nMemfile backend 2.1" }, "result": 0, "text": "2.2.0" })",
           R"({ "arguments": { "multi-threading-enabled": false, "pid": 4438, "reload": 17, "sockets": { "status": "ready" }, "uptime": 17 }, "result": 0 })",
           R"({ "arguments": { "leases": [ { "cltt": 1795457334, "fqdn-fwd": false, "fqdn-rev": false, "hostname": "", "hw-address": "aa:bb:cc:dd:ee:01", "ip-address": "192.0.2.50", "state": 0, "subnet-id": 1, "valid-lft": 4000 }, { "client-id": "01:1a:1b:1c:1d:1e:1f", "cltt": 1899996400, "fqdn-fwd": true, "fqdn-rev": true, "hostname": "myhost.example.com.", "hw-address": "1a:1b:1c:1d:1e:1f", "ip-address": "192.0.2.202", "state": 0, "subnet-id": 1, "user-context": { "property1": 42 }, "valid-lft": 3600 } ] }, "result": 0, "text": "2 IPv4 lease(s) found." })",
       }) {
    EXPECT_EQ(dump_kea(json::parse(raw)), raw);
  }
}

TEST(DumpKea, StringEscapes) {
  EXPECT_EQ(dump_kea("a\"b\\c/d"), R"("a\"b\\c/d")");  // '/' stays, as in Kea
  EXPECT_EQ(dump_kea("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(dump_kea(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(dump_kea(std::string(1, '\0')), R"("\u0000")");
}

TEST(DumpKea, Utf8BecomesCodePointEscapes) {
  EXPECT_EQ(dump_kea("caf\xc3\xa9"), R"("caf\u00e9")");
  EXPECT_EQ(dump_kea("\xe2\x82\xac"), R"("\u20ac")");
  EXPECT_EQ(dump_kea("\xf0\x9f\x98\x80"), R"("\ud83d\ude00")");
  EXPECT_EQ(json::parse(dump_kea("caf\xc3\xa9 \xf0\x9f\x98\x80")), "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(DumpKea, MalformedUtf8BecomesReplacement) {
  EXPECT_EQ(dump_kea("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(dump_kea("\xc3"), R"("\ufffd")");           // truncated
  EXPECT_EQ(dump_kea("\xc0\xaf"), R"("\ufffd\ufffd")");  // overlong '/'
  EXPECT_EQ(dump_kea("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
}

TEST(DumpKea, Numbers) {
  EXPECT_EQ(dump_kea(json(-42)), "-42");
  EXPECT_EQ(dump_kea(json(18446744073709551615ull)), "18446744073709551615");
  EXPECT_EQ(dump_kea(json(1.5)), "1.5");
  EXPECT_EQ(dump_kea(json(2.0)), "2.0");  // stays a double when read back, as in Kea
  EXPECT_EQ(dump_kea(json(0.1)), "0.1");
  EXPECT_EQ(dump_kea(json(1e20)), "1e+20");
  EXPECT_EQ(dump_kea(json(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(dump_kea(json(nullptr)), "null");
  EXPECT_EQ(dump_kea(json::parse("[true, false, null]")), "[ true, false, null ]");
}

TEST(ControlErrorResponse, OneMappingFromErrc) {
  EXPECT_EQ(result_code_for(Errc::not_found), ResultCode::empty);
  EXPECT_EQ(result_code_for(Errc::conflict), ResultCode::conflict);
  EXPECT_EQ(result_code_for(Errc::invalid_argument), ResultCode::error);
  EXPECT_EQ(result_code_for(Errc::io), ResultCode::error);
  EXPECT_EQ(format_response(error_response(make_error(Errc::conflict, "address 10.0.0.5 is reserved"))),
            R"({ "result": 4, "text": "address 10.0.0.5 is reserved" })");
}

}  // namespace
}  // namespace leasehold::control
