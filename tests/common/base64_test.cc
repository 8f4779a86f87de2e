#include "common/base64.h"

#include <gtest/gtest.h>

namespace leasehold {
namespace {

TEST(Base64, RoundTripsAllLengths) {
  std::vector<std::uint8_t> bytes;
  for (int n = 0; n < 40; ++n) {
    if (n > 0) {
      auto decoded = base64_decode(base64_encode(bytes));
      ASSERT_TRUE(decoded.ok()) << n;
      EXPECT_EQ(*decoded, bytes);
    }
    bytes.push_back(static_cast<std::uint8_t>(n * 37 + 1));
  }
}

TEST(Base64, KnownValue) {
  const std::uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(base64_encode(hello), "aGVsbG8=");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("").ok());
  EXPECT_FALSE(base64_decode("abc").ok());
  EXPECT_FALSE(base64_decode("ab!d").ok());
  EXPECT_FALSE(base64_decode("a=bc").ok());
  EXPECT_FALSE(base64_decode("aGVsbG9=").ok());  // non-canonical trailing bits
}

}  // namespace
}  // namespace leasehold
