#include "control/dispatcher.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>

// Expected texts quoted below are Kea 2.2's, from shared/reference/kea/ (file numbers in
// comments).

namespace leasehold::control {
namespace {

using nlohmann::json;

constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

Response echo(const Args& args) { return answer(ResultCode::success, "echo", args.object()); }

// A handler in the shape the lease commands will have: typed reads, Error -> response.
Response lease4_get(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto ip = args.get_string("ip-address");
  if (!ip) return error_response(ip.error());
  if (*ip != "192.0.2.202") return error_response(make_error(Errc::not_found, "Lease not found."));
  return answer(ResultCode::success, "IPv4 lease found.", {{"ip-address", *ip}});
}

Dispatcher make_dispatcher() {
  Dispatcher d;
  EXPECT_TRUE(d.add("version-get", [](const Args&) { return answer(ResultCode::success, "0.1.0"); }).ok());
  EXPECT_TRUE(d.add("lease4-get", lease4_get).ok());
  EXPECT_TRUE(d.add("config-get", echo).ok());
  EXPECT_TRUE(d.add_alias("get-lease4", "lease4-get").ok());
  EXPECT_TRUE(d.add_alias("get-config", "config-get").ok());
  return d;
}

// ---- registry -----------------------------------------------------------------------------

TEST(ControlDispatcher, ListCommandsSortedCanonicalOnly) {  // 01's shape
  const Dispatcher d = make_dispatcher();
  EXPECT_EQ(d.list(), (std::vector<std::string>{"config-get", "lease4-get", "list-commands", "version-get"}));
  EXPECT_EQ(d.handle(R"({"command": "list-commands"})"),
            R"({ "arguments": [ "config-get", "lease4-get", "list-commands", "version-get" ], "result": 0 })");
}

TEST(ControlDispatcher, EmptyTableStillListsItself) {
  EXPECT_EQ(Dispatcher().handle(R"({"command": "list-commands", "arguments": {"x": 1}})"),
            R"({ "arguments": [ "list-commands" ], "result": 0 })");
}

TEST(ControlDispatcher, AliasesAreCallable) {
  const Dispatcher d = make_dispatcher();
  const std::string canonical = d.handle(R"({"command": "lease4-get", "arguments": {"ip-address": "192.0.2.202"}})");
  EXPECT_EQ(canonical, R"({ "arguments": { "ip-address": "192.0.2.202" }, "result": 0, "text": "IPv4 lease found." })");
  EXPECT_EQ(d.handle(R"({"command": "get-lease4", "arguments": {"ip-address": "192.0.2.202"}})"), canonical);
  EXPECT_EQ(d.canonical("get-lease4"), "lease4-get");
  EXPECT_EQ(d.canonical("lease4-get"), "lease4-get");
  EXPECT_EQ(d.canonical("list-commands"), "list-commands");
  EXPECT_FALSE(d.canonical("lease6-get"));
}

TEST(ControlDispatcher, UnknownCommandAsKea) {  // 61, 183
  const Dispatcher d = make_dispatcher();
  EXPECT_EQ(d.handle(R"({ "command": "foo-bar" })"), R"({ "result": 2, "text": "'foo-bar' command not supported." })");
  EXPECT_EQ(d.handle(R"({ "command": "subnet4-list" })"),
            R"({ "result": 2, "text": "'subnet4-list' command not supported." })");
  EXPECT_EQ(d.handle(R"({ "command": "" })"), R"({ "result": 2, "text": "'' command not supported." })");
}

TEST(ControlDispatcher, LongUnknownNameIsCut) {
  const std::string name(1'000'000, 'x');
  const Response r = make_dispatcher().dispatch(Command{name, std::nullopt, std::nullopt});
  EXPECT_EQ(r.result, ResultCode::unsupported);
  EXPECT_EQ(*r.text, "'" + std::string(100, 'x') + "...' command not supported.");
}

TEST(ControlDispatcher, RegistrationRefusesClashes) {
  Dispatcher d = make_dispatcher();
  EXPECT_EQ(d.add("lease4-get", echo).error().code, Errc::conflict);
  EXPECT_EQ(d.add("get-lease4", echo).error().code, Errc::conflict);     // taken by an alias
  EXPECT_EQ(d.add("list-commands", echo).error().code, Errc::conflict);  // built in
  EXPECT_EQ(d.add("", echo).error().code, Errc::invalid_argument);
  EXPECT_EQ(d.add("x", Handler{}).error().code, Errc::invalid_argument);
  EXPECT_EQ(d.add_alias("get-lease4", "config-get").error().code, Errc::conflict);
  EXPECT_EQ(d.add_alias("version-get", "config-get").error().code, Errc::conflict);
  EXPECT_EQ(d.add_alias("get-lease6", "lease6-get").error().code, Errc::not_found);
  EXPECT_EQ(d.add_alias("", "lease4-get").error().code, Errc::invalid_argument);
  EXPECT_TRUE(d.add_alias("commands", "list-commands").ok());
  EXPECT_EQ(d.handle(R"({"command": "commands"})"), d.handle(R"({"command": "list-commands"})"));
  EXPECT_EQ(d.list().size(), 4u);
}

// ---- errors -------------------------------------------------------------------------------

TEST(ControlDispatcher, EnvelopeErrorsAnsweredAsKea) {  // 62, 65, 67
  const Dispatcher d = make_dispatcher();
  EXPECT_EQ(d.handle("hello"), R"({ "result": 1, "text": "invalid first character h" })");
  EXPECT_EQ(d.handle(R"({ "arguments": { } })"),
            R"({ "result": 1, "text": "Error during command processing: Invalid answer specified, does not contain mandatory 'command'" })");
  EXPECT_EQ(d.handle(R"({ "command": "lease4-get", "arguments": [ 1 ] })"),
            R"({ "result": 1, "text": "Parameters missing or are not a map." })");
}

TEST(ControlDispatcher, HandlerResultsPassThrough) {  // 72, 23
  const Dispatcher d = make_dispatcher();
  EXPECT_EQ(d.handle(R"({ "command": "lease4-get" })"), R"({ "result": 1, "text": "Parameters missing or are not a map." })");
  EXPECT_EQ(d.handle(R"({ "command": "lease4-get", "arguments": { "ip-address": "192.0.2.99" } })"),
            R"({ "result": 3, "text": "Lease not found." })");
  EXPECT_EQ(d.handle(R"({ "command": "lease4-get", "arguments": { "foo": 1 } })"),
            R"({ "result": 1, "text": "missing parameter 'ip-address'" })");
}

TEST(ControlDispatcher, NlohmannErrorsBecomeResultOne) {
  Dispatcher d;
  ASSERT_TRUE(d.add("lease4-add", [](const Args& args) {
                 const auto ip = args.object().at("ip-address").get<std::string>();  // throws on misuse
                 return answer(ResultCode::success, "added " + ip);
               }).ok());
  EXPECT_EQ(d.handle(R"({"command": "lease4-add", "arguments": {"ip-address": 5}})"),
            R"({ "result": 1, "text": "'lease4-add' command failed: type must be string, but is number" })");
  EXPECT_EQ(d.handle(R"({"command": "lease4-add", "arguments": {}})"),
            R"({ "result": 1, "text": "'lease4-add' command failed: key 'ip-address' not found" })");
  EXPECT_EQ(d.handle(R"({"command": "lease4-add"})"),
            R"({ "result": 1, "text": "'lease4-add' command failed: key 'ip-address' not found" })");
}

TEST(ControlDispatcher, OtherExceptionsBecomeResultOne) {
  Dispatcher d;
  ASSERT_TRUE(d.add("boom", [](const Args&) -> Response { throw std::runtime_error("store went away"); }).ok());
  ASSERT_TRUE(d.add_alias("bang", "boom").ok());
  EXPECT_EQ(d.handle(R"({"command": "boom"})"), R"({ "result": 1, "text": "'boom' command failed: store went away" })");
  // The text names the command as it was sent.
  EXPECT_EQ(d.handle(R"({"command": "bang"})"), R"({ "result": 1, "text": "'bang' command failed: store went away" })");
}

TEST(ControlDispatcher, KeaTextForMissingArguments) {  // 18
  Dispatcher d;
  ASSERT_TRUE(d.add("lease4-add", [](const Args& args) {
                 if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
                 return answer(ResultCode::success, "ok");
               }).ok());
  EXPECT_EQ(d.handle(R"({ "command": "lease4-add" })"),
            R"({ "result": 1, "text": "no parameters specified for the command" })");
}

TEST(ControlDispatcher, FiveMegabytesInAndOut) {
  const Dispatcher d = make_dispatcher();
  const std::string blob(5'000'000, 'a');
  const std::string out = d.handle(R"({"command": "get-config", "arguments": {"blob": ")" + blob + R"("}})");
  EXPECT_EQ(out, R"({ "arguments": { "blob": ")" + blob + R"(" }, "result": 0, "text": "echo" })");
}

// ---- Args ---------------------------------------------------------------------------------

const json kArgs = json::parse(R"({"ip-address": "192.0.2.1", "subnet-id": 7, "valid-lft": 3600.0,
  "neg": -5, "huge": 18446744073709551615, "force-create": true, "user-context": {"a": 1},
  "subnets": [1, 2]})");

TEST(ControlArgs, Strings) {
  const Args args(&kArgs);
  EXPECT_EQ(*args.get_string("ip-address"), "192.0.2.1");
  EXPECT_EQ(args.get_string("hw-address").error().message, "missing parameter 'hw-address'");  // 16, less position
  EXPECT_EQ(args.get_string("subnet-id").error().message, "invalid type specified for parameter 'subnet-id'");
  EXPECT_FALSE(args.optional_string("hostname")->has_value());
  EXPECT_EQ(**args.optional_string("ip-address"), "192.0.2.1");
  EXPECT_FALSE(args.optional_string("subnet-id").ok());
}

TEST(ControlArgs, Integers) {
  const Args args(&kArgs);
  EXPECT_EQ(*args.get_int("subnet-id", 1, kU32Max), 7);
  EXPECT_EQ(*args.get_int("neg", -10, 10), -5);
  EXPECT_EQ(args.get_int("subnet-id", 8, 9).error().message,
            "The 'subnet-id' value (7) is not within expected range: (8 - 9)");
  EXPECT_EQ(args.get_int("neg", 0, kU32Max).error().message,
            "The 'neg' value (-5) is not within expected range: (0 - 4294967295)");
  EXPECT_EQ(args.get_int("huge", 0, std::numeric_limits<std::int64_t>::max()).error().message,
            "The 'huge' value (18446744073709551615) is not within expected range: (0 - 9223372036854775807)");
  EXPECT_FALSE(args.get_int("huge", -10, -1).ok());  // must not wrap to -1
  EXPECT_EQ(args.get_int("valid-lft", 0, kU32Max).error().message,
            "invalid type specified for parameter 'valid-lft'");  // a double, as Kea sees it
  EXPECT_EQ(args.get_int("ip-address", 0, 1).error().message, "invalid type specified for parameter 'ip-address'");
  EXPECT_EQ(args.get_int("cltt", 0, 1).error().message, "missing parameter 'cltt'");
  EXPECT_FALSE(args.optional_int("cltt", 0, 1)->has_value());
  EXPECT_EQ(**args.optional_int("subnet-id", 0, 10), 7);
}

TEST(ControlArgs, BoolsObjectsLists) {
  const Args args(&kArgs);
  EXPECT_TRUE(*args.get_bool("force-create"));
  EXPECT_FALSE(args.get_bool("subnet-id").ok());
  EXPECT_FALSE(args.optional_bool("fqdn-fwd")->has_value());
  EXPECT_EQ((*args.get_object("user-context"))->at("a"), 1);
  EXPECT_EQ(args.get_object("subnets").error().message, "invalid type specified for parameter 'subnets'");
  EXPECT_EQ((*args.get_list("subnets"))->size(), 2u);
  EXPECT_EQ(args.get_list("leases").error().message, "missing parameter 'leases'");
}

TEST(ControlArgs, OnlyNamesTheFirstSpuriousKey) {
  const Args args(&kArgs);
  EXPECT_TRUE(args.only({"ip-address", "subnet-id", "valid-lft", "neg", "huge", "force-create", "user-context",
                         "subnets"})
                  .ok());
  EXPECT_EQ(args.only({"ip-address", "subnet-id"}).error().message, "spurious 'force-create' parameter");
}

TEST(ControlArgs, AbsentArguments) {
  const Args none;
  EXPECT_FALSE(none.present());
  EXPECT_EQ(none.object(), json::object());
  EXPECT_EQ(none.find("ip-address"), nullptr);
  EXPECT_EQ(none.get_string("ip-address").error().message, "missing parameter 'ip-address'");
  EXPECT_TRUE(none.only({}).ok());
}

}  // namespace
}  // namespace leasehold::control
