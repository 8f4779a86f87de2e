#include "server/config.h"

#include <gtest/gtest.h>

namespace leasehold::server {
namespace {

const char* kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

std::string full_config() {
  return std::string(R"({ "Leasehold": {
    // a comment
    "request-ip": { "listen": ["127.0.0.1:9700", "[::1]:9701"], "require-source-port": 0 },
    "valid-lifetime": 3600, "min-valid-lifetime": 60, "max-valid-lifetime": 86400,
    "hold-reclaimed-time": 0,   # a Kea-style comment
    /* block */
    "subnet4": [ { "id": 1, "subnet": "10.47.0.0/16", "pools": [ { "pool": "10.47.0.0/17" } ] } ],
    "subnet6": [ { "id": 1, "subnet": "fd00:47::/64", "pools": [ { "pool": "fd00:47::/64" } ] } ],
    "reservations": [ { "public-key": ")") + kKey + R"(", "ip-address": "10.47.200.1" } ],
    "peers": [ { "public-key": ")" + kKey + R"(", "source": "127.1.0.1" } ],
    "lease-database": { "type": "sqlite", "name": "/var/lib/leasehold/leases.db" } } })";
}

// Replaces the first occurrence of `from` in the full config.
std::string with(const std::string& from, const std::string& to) {
  std::string s = full_config();
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

TEST(Config, ParsesTheDocumentedExample) {
  auto cfg = parse_config(full_config());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->request_ip.listen.size(), 2u);
  EXPECT_EQ(cfg->request_ip.listen[0].port, 9700);
  EXPECT_EQ(cfg->request_ip.listen[1].address.to_string(), "::1");
  EXPECT_EQ(cfg->request_ip.require_source_port, 0);
  EXPECT_EQ(cfg->policy.valid_lifetime, 3600u);
  EXPECT_EQ(cfg->policy.min_valid_lifetime, 60u);
  EXPECT_EQ(cfg->policy.max_valid_lifetime, 86400u);
  EXPECT_EQ(cfg->policy.subnets.size(), 2u);
  ASSERT_EQ(cfg->policy.reservations.size(), 1u);
  EXPECT_EQ(cfg->policy.reservations[0].v4->to_string(), "10.47.200.1");
  ASSERT_EQ(cfg->peers.size(), 1u);
  EXPECT_EQ(cfg->peers[0].source.to_string(), "127.1.0.1");
  EXPECT_EQ(cfg->lease_database.type, "sqlite");
  EXPECT_EQ(cfg->lease_database.name, "/var/lib/leasehold/leases.db");
}

TEST(Config, DefaultsFollowKea) {
  auto cfg = parse_config(R"({"Leasehold": {"request-ip": {"listen": ["127.0.0.1:1"]}, "valid-lifetime": 500,
                               "lease-database": {"type": "memory"}}})");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->request_ip.require_source_port, 970);
  EXPECT_EQ(cfg->request_ip.threads, 1u);
  EXPECT_EQ(cfg->policy.min_valid_lifetime, 500u);
  EXPECT_EQ(cfg->policy.max_valid_lifetime, 500u);
  EXPECT_EQ(cfg->policy.hold_reclaimed_time, 0u);
}

struct BadCase {
  std::string from, to, mentions;
};

class ConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigRejects, NamesTheKey) {
  const auto& c = GetParam();
  auto cfg = parse_config(with(c.from, c.to));
  ASSERT_FALSE(cfg.ok()) << "accepted: " << c.to;
  EXPECT_NE(cfg.error().message.find(c.mentions), std::string::npos) << cfg.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigRejects,
    ::testing::Values(
        BadCase{"\"valid-lifetime\": 3600", "\"valid-lifetime\": \"long\"", "Leasehold.valid-lifetime"},
        BadCase{"\"valid-lifetime\": 3600", "\"valid-lifetime\": -5", "Leasehold.valid-lifetime"},
        BadCase{"\"valid-lifetime\": 3600", "\"valid-lifetime\": 30", "min-valid-lifetime"},
        BadCase{"\"max-valid-lifetime\": 86400", "\"max-valid-lifetime\": 100", "max-valid-lifetime"},
        BadCase{"\"require-source-port\": 0", "\"require-source-port\": 70000", "require-source-port"},
        BadCase{"\"require-source-port\": 0", "\"require-source-port\": 0, \"threads\": 0", "request-ip.threads"},
        BadCase{"\"require-source-port\": 0", "\"require-source-port\": 0, \"threads\": 65", "request-ip.threads"},
        BadCase{"\"127.0.0.1:9700\"", "\"127.0.0.1\"", "listen[0]"},
        BadCase{"\"127.0.0.1:9700\"", "\"::1:9700\"", "listen[0]"},
        BadCase{"\"10.47.0.0/17\"", "\"10.48.0.0/17\"", "subnet4[0].pools[0].pool"},
        BadCase{"\"10.47.0.0/17\"", "\"10.47.0.0/33\"", "subnet4[0].pools[0].pool"},
        BadCase{"\"10.47.0.0/17\"", "\"fd00:47::/80\"", "subnet4[0].pools[0].pool"},
        BadCase{"\"10.47.0.0/16\"", "\"10.47.0.1/16\"", "subnet4[0].subnet"},
        BadCase{"\"fd00:47::/64\", \"pools\"", "\"10.1.0.0/16\", \"pools\"", "subnet6[0].subnet"},
        BadCase{"\"id\": 1, \"subnet\": \"10", "\"id\": 0, \"subnet\": \"10", "subnet4[0].id"},
        BadCase{"\"ip-address\": \"10.47.200.1\"", "\"ip-address\": \"10.47.300.1\"", "reservations[0].ip-address"},
        BadCase{"\"ip-address\": \"10.47.200.1\"", "\"ip-address\": \"10.99.0.1\"", "no configured subnet"},
        BadCase{"\"source\": \"127.1.0.1\"", "\"source\": \"nowhere\"", "peers[0].source"},
        BadCase{"\"public-key\": \"AAEC", "\"public-key\": \"!!EC", "reservations[0].public-key"},
        BadCase{"\"type\": \"sqlite\"", "\"type\": \"mysql\"", "lease-database.type"},
        BadCase{"\"name\": \"/var/lib/leasehold/leases.db\"", "\"name\": \"\"", "lease-database.name"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"valid-lifetme\": 5",
                "Leasehold.valid-lifetme: unknown parameter"},
        BadCase{"\"require-source-port\": 0", "\"require-source-port\": 0, \"lisen\": 1", "request-ip.lisen"},
        BadCase{"\"Leasehold\"", "\"Dhcp4\"", "Leasehold"},
        BadCase{"\"subnet4\": [", "\"subnet4\": [,", "not valid JSON"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": 1", "Leasehold.control-socket"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-type\": \"http\", \"socket-name\": \"/x\" }",
                "control-socket.socket-type"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-name\": \"/x\" }",
                "control-socket.socket-type: required"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-type\": \"unix\" }",
                "control-socket.socket-name: required"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-type\": \"unix\", \"socket-name\": \"\" }",
                "control-socket.socket-name: must not be empty"},
        BadCase{"\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-type\": \"unix\", \"socket-name\": \"/x\", \"mode\": 1 }",
                "control-socket.mode: unknown parameter"}));

TEST(Config, ControlSocketIsOptionalAndKeasShape) {
  auto none = parse_config(full_config());
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->control_socket.enabled());
  auto cfg = parse_config(with("\"hold-reclaimed-time\": 0", R"("hold-reclaimed-time": 0,
      "control-socket": { "socket-type": "unix", "socket-name": "/run/leasehold/control.sock", "comment": "Kea's" })"));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->control_socket.socket_type, "unix");
  EXPECT_EQ(cfg->control_socket.socket_name, "/run/leasehold/control.sock");
}

TEST(Config, ControlSocketNameMustFitSunPath) {
  auto socket = [](std::size_t n) {
    return with("\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 0, \"control-socket\": { \"socket-type\": \"unix\", "
                                           "\"socket-name\": \"/" + std::string(n - 1, 'a') + "\" }");
  };
  EXPECT_TRUE(parse_config(socket(107)).ok());  // sun_path holds 108 bytes with the NUL
  auto cfg = parse_config(socket(108));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("too long"), std::string::npos) << cfg.error().message;
}

TEST(Config, InterfaceListensOnFe80ByDefault) {
  auto cfg = parse_config(R"({"Leasehold": {"interface": "wg0", "lease-database": {"type": "memory"},
                               "wireguard": {"zero-touch": true, "pools-from-routes": true, "backend": "uapi"}}})");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->request_ip.listen.size(), 1u);
  EXPECT_EQ(cfg->request_ip.listen[0].to_string(), "[fe80::%wg0]:970");
  EXPECT_EQ(cfg->request_ip.require_source_port, 970);
  EXPECT_EQ(cfg->wireguard.interface, "wg0");
  EXPECT_TRUE(cfg->wireguard.zero_touch);
  EXPECT_TRUE(cfg->wireguard.pools_from_routes);
  EXPECT_EQ(cfg->wireguard.backend, "uapi");
  EXPECT_EQ(cfg->wireguard.uapi_socket_dir, "/var/run/wireguard");
  // An explicit listen list wins.
  auto own = parse_config(R"({"Leasehold": {"interface": "wg0", "lease-database": {"type": "memory"},
                               "request-ip": {"listen": ["[fe80::1%wg0]:971"]}}})");
  ASSERT_TRUE(own.ok()) << own.error().message;
  EXPECT_EQ(own->request_ip.listen[0].to_string(), "[fe80::1%wg0]:971");
}

TEST(Config, WireGuardSettingsAreChecked) {
  const char* bad[] = {
      R"({"Leasehold": {"interface": "wg/0", "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"interface": "", "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"wireguard": {}, "request-ip": {"listen": ["127.0.0.1:1"]}, "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"interface": "wg0", "wireguard": {"backend": "kernel"}, "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"interface": "wg0", "wireguard": {"zero-touch": 1}, "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"interface": "wg0", "wireguard": {"zerotouch": true}, "lease-database": {"type": "memory"}}})",
      R"({"Leasehold": {"lease-database": {"type": "memory"}}})",
  };
  for (const char* text : bad) EXPECT_FALSE(parse_config(text).ok()) << text;
}

TEST(Config, SecondListOfTheSameSourceIsRejected) {
  std::string peers = std::string("\"peers\": [ { \"public-key\": \"") + kKey + "\", \"source\": \"127.1.0.1\" }, " +
                      "{ \"public-key\": \"" + kKey + "\", \"source\": \"127.1.0.1\" } ]";
  std::string s = full_config();
  auto begin = s.find("\"peers\"");
  auto end = s.find(']', begin) + 1;
  auto cfg = parse_config(s.replace(begin, end - begin, peers));
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("peers[1].source"), std::string::npos) << cfg.error().message;
}

TEST(Config, EndpointForms) {
  auto a = parse_endpoint("[fe80::%wg0]:970");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->zone, "wg0");
  EXPECT_EQ(a->to_string(), "[fe80::%wg0]:970");
  EXPECT_FALSE(parse_endpoint("127.0.0.1:99999").ok());
  EXPECT_FALSE(parse_endpoint("[::1]970").ok());
  EXPECT_FALSE(parse_endpoint("[127.0.0.1%lo]:1").ok());
}

TEST(Config, HashCommentsInsideStringsStay) {
  EXPECT_EQ(strip_hash_comments("{\"a#b\": 1} # gone\n"), "{\"a#b\": 1} \n");
  EXPECT_EQ(strip_hash_comments("\"esc\\\"#x\""), "\"esc\\\"#x\"");
}

TEST(Config, HashInsideOtherCommentsDoesNotSwallowConfig) {
  // A '#' inside /* */ or // must not start a comment of its own.
  std::string text = full_config();
  auto pos = text.find("\"valid-lifetime\"");
  text.insert(pos, "/* ticket #12 */ ");
  auto cfg = parse_config(with("\"hold-reclaimed-time\": 0,", "\"hold-reclaimed-time\": 0, // see #7 \"quote\n"));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  auto cfg2 = parse_config(text);
  ASSERT_TRUE(cfg2.ok()) << cfg2.error().message;
  EXPECT_EQ(cfg2->policy.valid_lifetime, 3600u);
}

TEST(Config, HugeNumbersAreAnErrorNotACrash) {
  auto cfg = parse_config("3e333");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(parse_config(with("\"hold-reclaimed-time\": 0", "\"hold-reclaimed-time\": 1e999")).ok());
}

}  // namespace
}  // namespace leasehold::server
