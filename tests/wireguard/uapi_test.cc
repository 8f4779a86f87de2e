#include "wireguard/uapi.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace leasehold::wireguard {
namespace {

constexpr std::string_view kPriv = "a8f3c1d2e4b5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e4f";
constexpr std::string_view kKeyA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00123456789abcdef0123456789abcdef";
constexpr std::string_view kKeyB = "fedcba98765432100123456789abcdeffedcba9876543210deadbeefcafe0102";
constexpr std::string_view kPsk = "0000000000000000000000000000000000000000000000000000000000000000";

lease::PublicKey key(std::string_view hex) { return *key_from_hex(hex); }
net::Prefix prefix(const char* text) { return *net::Prefix::parse(text); }

// A two-peer reply as wireguard-go writes it (device keys, then each peer), errno last.
std::string two_peer_reply() {
  std::string s;
  s += "private_key=" + std::string(kPriv) + "\n";
  s += "listen_port=51820\n";
  s += "fwmark=0\n";
  s += "public_key=" + std::string(kKeyA) + "\n";
  s += "preshared_key=" + std::string(kPsk) + "\n";
  s += "protocol_version=1\n";
  s += "endpoint=192.0.2.7:51820\n";
  s += "last_handshake_time_sec=1700000000\n";
  s += "last_handshake_time_nsec=123456789\n";
  s += "tx_bytes=38333\n";
  s += "rx_bytes=2224\n";
  s += "persistent_keepalive_interval=25\n";
  s += "allowed_ip=10.47.0.2/32\n";
  s += "allowed_ip=fd00:47::2/128\n";
  s += "public_key=" + std::string(kKeyB) + "\n";
  s += "preshared_key=" + std::string(kPsk) + "\n";
  s += "protocol_version=1\n";
  s += "endpoint=[2001:db8::1]:40000\n";
  s += "last_handshake_time_sec=0\n";
  s += "last_handshake_time_nsec=0\n";
  s += "tx_bytes=0\n";
  s += "rx_bytes=0\n";
  s += "persistent_keepalive_interval=0\n";
  s += "allowed_ip=10.47.1.0/24\n";
  s += "errno=0\n\n";
  return s;
}

std::string error_of(std::string_view text) {
  auto r = parse_get_response(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string() : r.error().message;
}

TEST(UapiHex, RoundTrip) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 5);
  const lease::PublicKey k(bytes);
  const std::string hex = key_to_hex(k);
  EXPECT_EQ(hex.size(), kKeyHexSize);
  EXPECT_EQ(hex.substr(0, 6), "052a4f");
  auto back = key_from_hex(hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, k);
  EXPECT_EQ(key_to_hex(key(kKeyA)), kKeyA);
}

TEST(UapiHex, AcceptsUpperCaseEmitsLower) {
  std::string upper(kKeyB);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto k = key_from_hex(upper);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(key_to_hex(*k), kKeyB);
}

TEST(UapiHex, RejectsBadText) {
  EXPECT_FALSE(key_from_hex("").ok());
  EXPECT_FALSE(key_from_hex(kKeyA.substr(1)).ok());
  EXPECT_FALSE(key_from_hex(std::string(kKeyA) + "0").ok());
  std::string bad(kKeyA);
  bad[10] = 'g';
  EXPECT_FALSE(key_from_hex(bad).ok());
  bad[10] = ' ';
  EXPECT_FALSE(key_from_hex(bad).ok());
  // base64 form of a key is not accepted
  EXPECT_FALSE(key_from_hex("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=").ok());
  EXPECT_EQ(key_from_hex("zz").error().message, "bad key hex");
}

TEST(UapiRequest, Get) { EXPECT_EQ(get_request(), "get=1\n\n"); }

TEST(UapiRequest, AddAllowedIps) {
  const std::vector<net::Prefix> ips = {prefix("10.47.0.9/32"), prefix("fd00:47::9/128")};
  EXPECT_EQ(add_allowed_ips_request(key(kKeyA), ips),
            "set=1\npublic_key=" + std::string(kKeyA) +
                "\nupdate_only=true\nallowed_ip=10.47.0.9/32\nallowed_ip=fd00:47::9/128\n\n");
}

TEST(UapiRequest, RemoveAllowedIps) {
  const std::vector<net::Prefix> ips = {prefix("10.47.0.9/32")};
  EXPECT_EQ(remove_allowed_ips_request(key(kKeyB), ips),
            "set=1\npublic_key=" + std::string(kKeyB) +
                "\nupdate_only=true\nallowed_ip=-10.47.0.9/32\n\n");
}

TEST(UapiRequest, ReplaceAllowedIps) {
  const std::vector<net::Prefix> rest = {prefix("10.1.0.0/16")};
  EXPECT_EQ(replace_allowed_ips_request(key(kKeyA), rest),
            "set=1\npublic_key=" + std::string(kKeyA) +
                "\nupdate_only=true\nreplace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n\n");
  EXPECT_EQ(replace_allowed_ips_request(key(kKeyA), {}),
            "set=1\npublic_key=" + std::string(kKeyA) +
                "\nupdate_only=true\nreplace_allowed_ips=true\n\n");
}

TEST(UapiGet, TwoPeers) {
  auto r = parse_get_response(two_peer_reply());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->listen_port, 51820);
  ASSERT_EQ(r->peers.size(), 2u);

  const PeerInfo& a = r->peers[0];
  EXPECT_EQ(a.key, key(kKeyA));
  EXPECT_EQ(a.endpoint, "192.0.2.7:51820");
  EXPECT_EQ(a.last_handshake_seconds, 1700000000u);
  EXPECT_EQ(a.rx_bytes, 2224u);
  EXPECT_EQ(a.tx_bytes, 38333u);
  ASSERT_EQ(a.allowed_ips.size(), 2u);
  EXPECT_EQ(a.allowed_ips[0], prefix("10.47.0.2/32"));
  EXPECT_EQ(a.allowed_ips[1], prefix("fd00:47::2/128"));

  const PeerInfo& b = r->peers[1];
  EXPECT_EQ(b.key, key(kKeyB));
  EXPECT_EQ(b.endpoint, "[2001:db8::1]:40000");
  EXPECT_EQ(b.last_handshake_seconds, 0u);
  ASSERT_EQ(b.allowed_ips.size(), 1u);
  EXPECT_EQ(b.allowed_ips[0], prefix("10.47.1.0/24"));
}

TEST(UapiGet, EmptyDeviceAndMinimalPeer) {
  auto empty = parse_get_response("errno=0\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->listen_port.has_value());
  EXPECT_TRUE(empty->peers.empty());

  auto bare = parse_get_response("public_key=" + std::string(kKeyA) + "\nerrno=0\n\n");
  ASSERT_TRUE(bare.ok());
  ASSERT_EQ(bare->peers.size(), 1u);
  EXPECT_TRUE(bare->peers[0].allowed_ips.empty());
  EXPECT_TRUE(bare->peers[0].endpoint.empty());
  EXPECT_FALSE(bare->peers[0].last_handshake_seconds.has_value());
}

TEST(UapiGet, PeerWithZeroAllowedIps) {
  const std::string text = "listen_port=1\npublic_key=" + std::string(kKeyA) +
                           "\nrx_bytes=5\npublic_key=" + std::string(kKeyB) +
                           "\nallowed_ip=0.0.0.0/0\nallowed_ip=::/0\nerrno=0\n\n";
  auto r = parse_get_response(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->peers.size(), 2u);
  EXPECT_TRUE(r->peers[0].allowed_ips.empty());
  EXPECT_EQ(r->peers[1].allowed_ips.size(), 2u);
}

TEST(UapiGet, SkipsUnknownKeys) {
  const std::string text = "jc=4\nlisten_port=7\npublic_key=" + std::string(kKeyA) +
                           "\nfuture_key=whatever value\nallowed_ip=10.0.0.1/32\nerrno=0\n\n";
  auto r = parse_get_response(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->listen_port, 7);
  EXPECT_EQ(r->peers[0].allowed_ips.size(), 1u);
}

TEST(UapiGet, DeviceErrno) {
  auto r = parse_get_response("errno=-22\n\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_EQ(device_errno(r.error()), -22);

  auto after_lines = parse_get_response("listen_port=1\nerrno=5\n\n");
  ASSERT_FALSE(after_lines.ok());
  EXPECT_EQ(device_errno(after_lines.error()), 5);

  auto malformed = parse_get_response("garbage\n\n");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, Errc::corruption);
  EXPECT_FALSE(device_errno(malformed.error()).has_value());
}

TEST(UapiGet, RejectsMalformed) {
  const std::string pk = "public_key=" + std::string(kKeyA) + "\n";
  const std::string ok_end = "errno=0\n\n";

  EXPECT_EQ(error_of(""), "missing errno");
  EXPECT_EQ(error_of("\n"), "missing errno");
  EXPECT_EQ(error_of("listen_port=1\n\n"), "missing errno");
  EXPECT_EQ(error_of("listen_port=1\n"), "missing errno");
  EXPECT_EQ(error_of("errno=0"), "missing errno");
  EXPECT_EQ(error_of("errno=0\n"), "missing final empty line");
  EXPECT_EQ(error_of("errno=0\n\nx"), "trailing bytes after errno");
  EXPECT_EQ(error_of("errno=0\n\n\n"), "trailing bytes after errno");
  EXPECT_EQ(error_of("errno=0\nerrno=0\n\n"), "trailing bytes after errno");
  EXPECT_EQ(error_of("errno=x\n\n"), "bad errno");
  EXPECT_EQ(error_of("errno=-0\n\n"), "bad errno");
  EXPECT_EQ(error_of("errno=+1\n\n"), "bad errno");
  EXPECT_EQ(error_of("errno=99999999999\n\n"), "bad errno");
  EXPECT_EQ(error_of("errno=\n\n"), "bad errno");

  EXPECT_EQ(error_of("public_key=abc\n" + ok_end), "bad public_key hex");
  EXPECT_EQ(error_of("public_key=" + std::string(kKeyA).substr(2) + "\n" + ok_end),
            "bad public_key hex");
  EXPECT_EQ(error_of("public_key=" + std::string(kKeyA) + "00\n" + ok_end), "bad public_key hex");
  EXPECT_EQ(error_of("private_key=1234\n" + ok_end), "bad private_key hex");
  EXPECT_EQ(error_of(pk + "preshared_key=xyz\n" + ok_end), "bad preshared_key hex");

  EXPECT_EQ(error_of(pk + "allowed_ip=10.0.0.1\n" + ok_end), "bad allowed_ip");
  EXPECT_EQ(error_of(pk + "allowed_ip=10.0.0.1/33\n" + ok_end), "bad allowed_ip");
  EXPECT_EQ(error_of(pk + "allowed_ip=10.0.0.1/24\n" + ok_end), "bad allowed_ip");
  EXPECT_EQ(error_of(pk + "allowed_ip=-10.0.0.1/32\n" + ok_end), "bad allowed_ip");
  EXPECT_EQ(error_of(pk + "allowed_ip=fd00::1/129\n" + ok_end), "bad allowed_ip");
  EXPECT_EQ(error_of(pk + "allowed_ip=\n" + ok_end), "bad allowed_ip");

  EXPECT_EQ(error_of("listen_port=65536\n" + ok_end), "bad listen_port");
  EXPECT_EQ(error_of("listen_port=-1\n" + ok_end), "bad listen_port");
  EXPECT_EQ(error_of("fwmark=4294967296\n" + ok_end), "bad fwmark");
  EXPECT_EQ(error_of(pk + "rx_bytes=18446744073709551616\n" + ok_end), "bad rx_bytes");
  EXPECT_EQ(error_of(pk + "last_handshake_time_sec=1e9\n" + ok_end), "bad last_handshake_time_sec");
  EXPECT_EQ(error_of(pk + "last_handshake_time_nsec=1000000000\n" + ok_end),
            "bad last_handshake_time_nsec");
  EXPECT_EQ(error_of(pk + "persistent_keepalive_interval=70000\n" + ok_end),
            "bad persistent_keepalive_interval");
  EXPECT_EQ(error_of(pk + "endpoint=\n" + ok_end), "bad endpoint");
  EXPECT_EQ(error_of(pk + "endpoint=" + std::string(200, 'a') + "\n" + ok_end), "bad endpoint");

  EXPECT_EQ(error_of("listen_port\n" + ok_end), "line without '='");
  EXPECT_EQ(error_of("=5\n" + ok_end), "empty key");
  EXPECT_EQ(error_of("allowed_ip=10.0.0.1/32\n" + ok_end), "allowed_ip before public_key");
  EXPECT_EQ(error_of(pk + "listen_port=1\n" + ok_end), "listen_port after public_key");
  EXPECT_EQ(error_of(pk + pk + ok_end), "duplicate public_key");
  EXPECT_EQ(error_of("listen_port=1\r\n" + ok_end), "control byte in line");
  EXPECT_EQ(error_of(std::string("listen_port=1\0\n", 16) + ok_end), "nul byte");
  EXPECT_EQ(error_of(std::string("errno=0\n\n\0", 10)), "nul byte");
}

TEST(UapiGet, MalformedIsCorruption) {
  auto r = parse_get_response("public_key=zz\nerrno=0\n\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corruption);
}

TEST(UapiGet, NeverEchoesKeyMaterial) {
  std::string bad_priv(kPriv);
  bad_priv.back() = 'x';
  auto r = parse_get_response("private_key=" + bad_priv + "\nerrno=0\n\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find(kPriv.substr(0, 16)), std::string::npos);
}

TEST(UapiGet, LineLimit) {
  std::string text;
  text.reserve((kMaxLines + 1) * 4);
  for (std::size_t i = 0; i < kMaxLines; ++i) text += "x=\n";
  auto r = parse_get_response(text + "errno=0\n\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "too many lines");

  // exactly kMaxLines lines, the last one errno, is accepted
  text.resize((kMaxLines - 1) * 3);
  auto ok = parse_get_response(text + "errno=0\n\n");
  EXPECT_TRUE(ok.ok());
}

TEST(UapiSet, Responses) {
  EXPECT_EQ(parse_set_response("errno=0\n\n").value(), 0);
  EXPECT_EQ(parse_set_response("errno=-22\n\n").value(), -22);
  EXPECT_EQ(parse_set_response("errno=5\n\n").value(), 5);
  for (std::string_view bad : {"", "errno=0", "errno=0\n", "errno=0\n\nx", "errno=\n\n",
                               "errno=a\n\n", "errno=-0\n\n", "errno=0\r\n\n", "errno=0\n\n\n",
                               "listen_port=1\nerrno=0\n\n", "ERRNO=0\n\n"}) {
    auto r = parse_set_response(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::corruption);
    }
  }
  EXPECT_FALSE(parse_set_response(std::string_view("errno=0\n\n\0", 10)).ok());
}

}  // namespace
}  // namespace leasehold::wireguard
