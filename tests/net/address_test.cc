#include "net/address.h"

#include <gtest/gtest.h>

namespace leasehold::net {
namespace {

TEST(Address, ParsesAndPrintsBothFamilies) {
  auto a = Address::parse("10.47.0.1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->family(), Family::v4);
  EXPECT_EQ(a->v4_value(), 0x0a2f0001u);
  EXPECT_EQ(a->to_string(), "10.47.0.1");
  auto b = Address::parse("fd00:47::1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->family(), Family::v6);
  EXPECT_EQ(b->to_string(), "fd00:47::1");
  EXPECT_EQ(Address::v6_bytes(b->v6_bytes()), *b);
}

TEST(Address, RejectsGarbage) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "1.2.3.4 ", "fe80::1%wg0", "::g", "10.0.0.1/32",
                          "0x0a.0.0.1"})
    EXPECT_FALSE(Address::parse(bad).ok()) << bad;
}

TEST(Prefix, RangeOfPrefix) {
  auto p = Prefix::parse("10.47.0.0/17");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first().to_string(), "10.47.0.0");
  EXPECT_EQ(p->last().to_string(), "10.47.127.255");
  EXPECT_EQ(p->size(), uint128{32768});
  EXPECT_TRUE(p->contains(*Address::parse("10.47.5.5")));
  EXPECT_FALSE(p->contains(*Address::parse("10.47.128.0")));
  auto q = Prefix::parse("fd00:47::/64");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->size(), uint128{1} << 64);
  EXPECT_EQ(q->last().to_string(), "fd00:47::ffff:ffff:ffff:ffff");
}

TEST(Prefix, HostBitsOnlyWhenAllowed) {
  EXPECT_FALSE(Prefix::parse("10.47.0.1/16").ok());
  EXPECT_TRUE(Prefix::parse_host("10.47.0.1/32").ok());
  EXPECT_FALSE(Prefix::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Prefix::parse("10.0.0.0/").ok());
  EXPECT_FALSE(Prefix::parse("10.0.0.0/+8").ok());
  EXPECT_TRUE(Prefix::parse("::/0").ok());
  EXPECT_EQ(Prefix::parse("::/0")->size(), ~uint128{0});
}

TEST(Range, ParsesBothForms) {
  auto r = Range::parse("10.0.0.10 - 10.0.0.20");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), uint128{11});
  EXPECT_FALSE(Range::parse("10.0.0.20-10.0.0.10").ok());
  EXPECT_FALSE(Range::parse("10.0.0.1-fd00::1").ok());
  auto p = Range::parse("fd00::/120");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), uint128{256});
}

TEST(ParseUint, StrictDecimal) {
  EXPECT_EQ(parse_uint("3600", 100000), 3600u);
  EXPECT_FALSE(parse_uint("", 10));
  EXPECT_FALSE(parse_uint("-1", 10));
  EXPECT_FALSE(parse_uint("11", 10));
  EXPECT_FALSE(parse_uint("1 ", 10));
  EXPECT_FALSE(parse_uint("99999999999999999999999", ~0ull));
}

}  // namespace
}  // namespace leasehold::net
