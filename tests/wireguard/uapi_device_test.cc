// The UAPI socket client against a scripted UNIX socket server that answers like
// wireguard-go 0.0.20220316 (Debian 12): no "allowed_ip=-", so removals fall back to
// replace_allowed_ips. The real wireguard-go is exercised by the end-to-end tests.
#include "wireguard/uapi_device.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "temp_dir.h"
#include "wireguard/device.h"
#include "wireguard/uapi.h"

namespace leasehold::wireguard {
namespace {

constexpr std::string_view kKeyA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00123456789abcdef0123456789abcdef";
// RFC 7748 section 6.1: Alice's private key and the public key X25519 gives for it.
constexpr std::string_view kAlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

class ScriptedUapi {
 public:
  explicit ScriptedUapi(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path_.c_str(), path_.size());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedUapi() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::vector<std::string> requests;  // read after the device call returns
  std::string get_reply;

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.size() < 2 || req.compare(req.size() - 2, 2, "\n\n") != 0) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      requests.push_back(req);
      std::string reply = req.rfind("get=1", 0) == 0                     ? get_reply
                          : req.find("allowed_ip=-") != std::string::npos ? "errno=-22\n\n"
                                                                          : "errno=0\n\n";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  std::string path_;
  int fd_;
  std::thread thread_;
};

net::Prefix pfx(const char* t) { return *net::Prefix::parse(t); }

TEST(UapiDevice, ReadsPeersAndTheDevicePublicKey) {
  leasehold::testing::TempDir dir;
  ScriptedUapi server((dir.path() / "wgt0.sock").string());
  server.get_reply = "private_key=" + std::string(kAlicePrivate) + "\nlisten_port=51820\npublic_key=" +
                     std::string(kKeyA) + "\nallowed_ip=fe80::5/128\nerrno=0\n\n";
  auto dev = open_device("wgt0", "auto", dir.path().string());
  ASSERT_TRUE(dev.ok()) << dev.error().message;
  EXPECT_EQ((*dev)->backend(), "uapi");
  auto info = (*dev)->get();
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_TRUE(info->public_key.has_value());
  EXPECT_EQ(key_to_hex(*info->public_key), kAlicePublic);
  ASSERT_EQ(info->peers.size(), 1u);
  EXPECT_EQ(info->peers[0].allowed_ips, std::vector{pfx("fe80::5/128")});
  EXPECT_EQ(server.requests, std::vector<std::string>{"get=1\n\n"});
}

TEST(UapiDevice, FallsBackToReplaceWhenSingleRemovalIsRefused) {
  leasehold::testing::TempDir dir;
  ScriptedUapi server((dir.path() / "wgt1.sock").string());
  server.get_reply = "public_key=" + std::string(kKeyA) +
                     "\nallowed_ip=fe80::5/128\nallowed_ip=10.0.0.5/32\nallowed_ip=10.9.0.0/16\nerrno=0\n\n";
  auto dev = open_device("wgt1", "uapi", dir.path().string());
  ASSERT_TRUE(dev.ok());
  const auto key = *key_from_hex(kKeyA);
  std::vector<AllowedIpsUpdate> u = {{key, {pfx("10.0.0.6/32")}, {pfx("10.0.0.5/32")}}};
  ASSERT_TRUE((*dev)->update(u).ok());
  const std::string hex(kKeyA);
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.requests[0], "set=1\npublic_key=" + hex + "\nupdate_only=true\nallowed_ip=-10.0.0.5/32\n" +
                                    "public_key=" + hex + "\nupdate_only=true\nallowed_ip=10.0.0.6/32\n\n");
  EXPECT_EQ(server.requests[1], "get=1\n\n");
  EXPECT_EQ(server.requests[2], "set=1\npublic_key=" + hex +
                                    "\nupdate_only=true\nreplace_allowed_ips=true\nallowed_ip=fe80::5/128\n"
                                    "allowed_ip=10.9.0.0/16\nallowed_ip=10.0.0.6/32\n\n");
  // It remembers: the next removal goes straight to get + replace.
  server.requests.clear();
  ASSERT_TRUE((*dev)->update(u).ok());
  EXPECT_EQ(server.requests.size(), 2u);
  // Additions alone never need the fallback.
  server.requests.clear();
  std::vector<AllowedIpsUpdate> add_only = {{key, {pfx("10.0.0.7/32")}, {}}};
  ASSERT_TRUE((*dev)->update(add_only).ok());
  EXPECT_EQ(server.requests,
            std::vector<std::string>{"set=1\npublic_key=" + hex + "\nupdate_only=true\nallowed_ip=10.0.0.7/32\n\n"});
}

TEST(UapiDevice, MissingSocketIsUnavailableAndBadNamesAreRefused) {
  leasehold::testing::TempDir dir;
  auto dev = open_device("wgt2", "uapi", dir.path().string());
  ASSERT_TRUE(dev.ok());
  auto info = (*dev)->get();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code, Errc::unavailable);
  EXPECT_FALSE(open_device("../etc", "uapi", dir.path().string()).ok());
  EXPECT_FALSE(open_device("a-name-longer-than-15", "uapi", dir.path().string()).ok());
  EXPECT_FALSE(open_device("wg0", "carrier-pigeon", dir.path().string()).ok());
}

}  // namespace
}  // namespace leasehold::wireguard
