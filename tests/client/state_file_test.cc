#include "client/state_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace leasehold::client {
namespace {

net::Address addr(const char* text) { return *net::Address::parse(text); }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(StateFile, PathIsPerInterface) {
  EXPECT_EQ(state_file_path("/var/lib/leasehold", "wg0"), "/var/lib/leasehold/client-wg0.json");
}

TEST(StateFile, RoundTrip) {
  testing::TempDir dir;
  const std::string path = state_file_path(dir.file("sub/dir"), "wg0");  // directories are created
  StoredLease lease{{addr("10.0.0.5"), addr("fd00::5")}, 1'700'000'000, 3600};
  ASSERT_TRUE(save_state(path, "wg0", lease).ok());
  auto loaded = load_state(path, "wg0");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*loaded, lease);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  StoredLease v6_only{{std::nullopt, addr("fd00::5")}, 1'700'000'000, 20};
  ASSERT_TRUE(save_state(path, "wg0", v6_only).ok());
  EXPECT_EQ(*load_state(path, "wg0"), v6_only);

  ASSERT_TRUE(save_state(path, "wg0", std::nullopt).ok());
  loaded = load_state(path, "wg0");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(StateFile, Format) {
  StoredLease lease{{addr("10.0.0.5"), std::nullopt}, 1'700'000'000, 3600};
  auto text = encode_state("wg0", lease);
  EXPECT_NE(text.find("\"interface\": \"wg0\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"ipv4\": \"10.0.0.5\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"ipv6\": null"), std::string::npos) << text;
  EXPECT_NE(text.find("\"leasestart\": 1700000000"), std::string::npos) << text;
  EXPECT_NE(text.find("\"leasetime\": 3600"), std::string::npos) << text;
}

TEST(StateFile, MissingFileHoldsNoLease) {
  testing::TempDir dir;
  auto loaded = load_state(dir.file("none.json"), "wg0");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(StateFile, StrictDecoding) {
  const std::string good_lease = R"("lease": {"ipv4": "10.0.0.5", "leasestart": 1, "leasetime": 2})";
  EXPECT_TRUE(decode_state(R"({"interface": "wg0", )" + good_lease + "}", "wg0").ok());
  for (const std::string& bad : {
           std::string("not json"),
           std::string("[]"),
           R"({"interface": "wg1", )" + good_lease + "}",
           std::string(R"({"lease": null})"),
           std::string(R"({"interface": "wg0", "lease": 5})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": "fd00::1", "leasestart": 1, "leasetime": 2}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv6": "10.0.0.1", "leasestart": 1, "leasetime": 2}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": 7, "leasestart": 1, "leasetime": 2}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": "10.0.0.1", "leasetime": 2}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": "10.0.0.1", "leasestart": -1, "leasetime": 2}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": "10.0.0.1", "leasestart": 1, "leasetime": 4294967296}})"),
           std::string(R"({"interface": "wg0", "lease": {"ipv4": "10.0.0.1", "leasestart": 1.5, "leasetime": 2}})"),
       }) {
    auto decoded = decode_state(bad, "wg0");
    EXPECT_FALSE(decoded.ok()) << bad;
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.error().code, Errc::corruption) << bad;
    }
  }
}

TEST(StateFile, CorruptFileIsAnErrorNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("client-wg0.json");
  write(path, "{\"interface\": \"wg0\", \"lease\": {\"ipv4\":");
  auto loaded = load_state(path, "wg0");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find(path), std::string::npos);
}

TEST(StateFile, SaveReplacesAtomically) {
  testing::TempDir dir;
  const std::string path = dir.file("client-wg0.json");
  write(path, "old");
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(save_state(path, "wg0", std::nullopt).ok());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // a new file renamed over the old one
}

}  // namespace
}  // namespace leasehold::client
