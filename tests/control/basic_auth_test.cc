// Basic authentication: header decoding and matching.
#include <gtest/gtest.h>

#include "control/basic_auth.h"

namespace leasehold::control {
namespace {

TEST(BasicAuth, DecodesAndMatches) {
  auto c = decode_basic_credentials("Basic YWRtaW46c2VjcmV0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, "admin");
  EXPECT_EQ(c->second, "secret");
  EXPECT_TRUE(decode_basic_credentials("basic  YWRtaW46c2VjcmV0 "));
  EXPECT_FALSE(decode_basic_credentials("Bearer YWRtaW46c2VjcmV0"));
  EXPECT_FALSE(decode_basic_credentials("Basic YWRtaW4"));        // not base64
  EXPECT_FALSE(decode_basic_credentials("Basic YWRtaW4="));       // no colon
  std::vector<Credentials> allowed = {{"ops", "x"}, {"admin", "secret"}};
  EXPECT_TRUE(basic_auth_matches("Basic YWRtaW46c2VjcmV0", allowed));
  EXPECT_FALSE(basic_auth_matches("Basic YWRtaW46d3Jvbmc=", allowed));  // admin:wrong
  EXPECT_FALSE(basic_auth_matches("", allowed));
}

}  // namespace
}  // namespace leasehold::control
