// Options: definitions (conflicts with standard and user ones), values checked against
// their types, and the lines a granting answer carries (scope precedence, families).
#include <gtest/gtest.h>

#include "options/options.h"

namespace leasehold::options {
namespace {

using nlohmann::json;

std::vector<OptionValue> values(const json& list, const std::string& space, const std::vector<OptionDef>& defs = standard_definitions()) {
  auto v = parse_values(list, "option-data", defs, space);
  EXPECT_TRUE(v) << (v ? "" : v.error().message);
  return v ? *v : std::vector<OptionValue>{};
}

TEST(Options, DefinitionsRefuseCollisionsAndBadShapes) {
  const auto& std_defs = standard_definitions();
  auto ok = parse_definitions(json::parse(R"([{"name": "ntp", "code": 42, "type": "ipv4-address", "array": true}])"), "d", std_defs, "dhcp4");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].space, "dhcp4");
  auto clash = parse_definitions(json::parse(R"([{"name": "x", "code": 6, "type": "string"}])"), "d", std_defs, "dhcp4");
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::conflict);
  EXPECT_EQ(parse_definitions(json::parse(R"([{"name": "a", "code": 300, "type": "string"}, {"name": "a", "code": 301, "type": "string"}])"),
                              "d", std_defs, "dhcp4").error().code, Errc::conflict);
  // The same name in the other space is fine.
  EXPECT_TRUE(parse_definitions(json::parse(R"([{"name": "ntp", "code": 56, "type": "ipv6-address"}])"), "d", *ok, "dhcp6"));
  for (const char* bad : {R"([{"name": "leasetime", "code": 300, "type": "string"}])", R"([{"name": "Bad", "code": 300, "type": "string"}])",
                          R"([{"name": "a", "code": 0, "type": "string"}])", R"([{"name": "a", "code": 300, "type": "float"}])",
                          R"([{"name": "a", "code": 300, "type": "string", "space": "dhcp6"}])", R"([{"name": "a", "code": 300}])"}) {
    auto r = parse_definitions(json::parse(bad), "d", std_defs, "dhcp4");
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
    }
  }
}

TEST(Options, ValuesAreCheckedAndNormalised) {
  auto v = values(json::parse(R"([{"name": "dns", "data": "10.0.0.1, 10.0.0.2"}, {"code": 26, "data": "1420"}, {"name": "search", "data": "Example.COM"}])"), "dhcp4");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].data, "10.0.0.1,10.0.0.2");
  EXPECT_EQ(v[1].name, "mtu");
  EXPECT_EQ(v[2].data, "example.com");
  for (const char* bad : {R"([{"name": "dns", "data": "fd00::1"}])", R"([{"name": "mtu", "data": "70000"}])",
                          R"([{"name": "mtu", "data": "1,2"}])", R"([{"name": "nope", "data": "1"}])",
                          R"([{"name": "dns", "code": 26, "data": "10.0.0.1"}])", R"([{"data": "1"}])",
                          R"([{"name": "route", "data": "10.0.0.1/8"}])", R"([{"name": "mtu", "data": "1", "bogus": 1}])"})
    EXPECT_FALSE(parse_values(json::parse(bad), "o", standard_definitions(), "dhcp4")) << bad;
  auto twice = parse_values(json::parse(R"([{"name": "mtu", "data": "1"}, {"name": "mtu", "data": "2"}])"), "o", standard_definitions(), "dhcp4");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
  // A string value cannot break a key=value line.
  OptionDef text{"motd", 300, "string", false, "dhcp4"};
  EXPECT_FALSE(parse_values(json::parse(R"([{"name": "motd", "data": "a=b"}])"), "o", {text}, "dhcp4"));
  EXPECT_FALSE(parse_values(json::parse(R"([{"name": "motd", "data": "a\nb"}])"), "o", {text}, "dhcp4"));
}

TEST(Options, LinesFollowScopeAndFamily) {
  OptionSet set;
  set.global = values(json::parse(R"([{"name": "mtu", "data": "1500"}, {"name": "dns", "data": "10.0.0.1"}])"), "dhcp4");
  set.subnet[{4, 1}] = values(json::parse(R"([{"name": "mtu", "data": "1420"}])"), "dhcp4");
  set.subnet[{6, 2}] = values(json::parse(R"([{"name": "dns", "data": "fd00::53"}])"), "dhcp6");
  set.host["K"] = values(json::parse(R"([{"name": "mtu", "data": "1280"}])"), "dhcp4");
  using Lines = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(response_lines(set, 1, 2, "other"), (Lines{{"dns", "10.0.0.1,fd00::53"}, {"mtu", "1420"}}));
  EXPECT_EQ(response_lines(set, 1, std::nullopt, "K"), (Lines{{"dns", "10.0.0.1"}, {"mtu", "1280"}}));
  EXPECT_EQ(response_lines(set, std::nullopt, 2, "K"), (Lines{{"dns", "fd00::53"}}));  // dhcp4 values need an IPv4 grant
  EXPECT_EQ(response_lines(set, 7, std::nullopt, ""), (Lines{{"dns", "10.0.0.1"}, {"mtu", "1500"}}));
}

}  // namespace
}  // namespace leasehold::options
