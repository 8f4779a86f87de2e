// DHCPv6 leasequery wire format: frames written out by hand from RFC 5007 / 5460 / 7653.
#include "leasequery/dhcp6_wire.h"
#include "leasequery/peer_identity.h"

#include <gtest/gtest.h>

#include <variant>

namespace leasehold::leasequery::dhcp6 {
namespace {

Bytes frame_body(const Bytes& frame) { return Bytes(frame.begin() + 2, frame.end()); }

Address6 addr(std::uint8_t last) {
  Address6 a{0x20, 0x01, 0x0d, 0xb8};
  a[15] = last;
  return a;
}

TEST(Dhcp6Wire, AbsoluteTimeCountsFrom2000) {
  EXPECT_EQ(absolute_time(946684800), 0u);
  EXPECT_EQ(absolute_time(946684800 + 86400), 86400u);
  EXPECT_EQ(absolute_time(0), 0u);  // before 2000: clamped
  EXPECT_EQ(unix_time(86400), 946684800 + 86400);
}

TEST(Dhcp6Wire, DataMessageWithOneBindingIsByteExact) {
  Binding b{addr(5), Bytes{0xaa, 0xbb}, 100, 200, 7};
  Bytes frame = encode(data(0x010203, &b, 0x11223344u, std::nullopt));
  const Bytes expected = {
      0x00, 0x3a,                    // length 58
      17, 0x01, 0x02, 0x03,          // LEASEQUERY-DATA, xid
      0x00, 100, 0x00, 4, 0x11, 0x22, 0x33, 0x44,  // LQ_BASE_TIME
      0x00, 45, 0x00, 42,            // CLIENT_DATA, 42 octets
      0x00, 1, 0x00, 2, 0xaa, 0xbb,  //   CLIENTID
      0x00, 5, 0x00, 24,             //   IAADDR
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
      0, 0, 0, 100, 0, 0, 0, 200,
      0x00, 46, 0x00, 4, 0, 0, 0, 7,  //   CLT_TIME
  };
  EXPECT_EQ(frame, expected);
}

TEST(Dhcp6Wire, ReplyWithDataMissingIsByteExact) {
  Bytes frame = encode(reply(9, StatusPair{kDataMissing, "gap"}, Bytes{0x01}, Bytes{0x02, 0x03}, 5u, nullptr));
  const Bytes expected = {
      0x00, 0x20, 15, 0, 0, 9,
      0x00, 13, 0x00, 5, 0x00, 12, 'g', 'a', 'p',  // STATUS_CODE DataMissing
      0x00, 1, 0x00, 2, 0x02, 0x03,                // CLIENTID (requestor)
      0x00, 2, 0x00, 1, 0x01,                      // SERVERID
      0x00, 100, 0x00, 4, 0, 0, 0, 5,              // LQ_BASE_TIME
  };
  EXPECT_EQ(frame, expected);
}

TEST(Dhcp6Wire, DoneWithQueryTerminatedIsByteExact) {
  Bytes frame = encode(done(1, StatusPair{kQueryTerminated, ""}, std::nullopt));
  const Bytes expected = {0x00, 0x0a, 16, 0, 0, 1, 0x00, 13, 0x00, 2, 0x00, 11};
  EXPECT_EQ(frame, expected);
}

TEST(Dhcp6Wire, ActiveQueryWithStartTimeIsByteExactAndParses) {
  Bytes frame = encode(active_query(0x000102, Bytes{0xde, 0xad}, 0x01020304u));
  const Bytes expected = {
      0x00, 0x2d, 22, 0x00, 0x01, 0x02,
      0x00, 1, 0x00, 2, 0xde, 0xad,               // CLIENTID
      0x00, 44, 0x00, 23, 4,                      // LQ_QUERY, BY_LINK_ADDRESS
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // link-address ::
      0x00, 6, 0x00, 2, 0x00, 100,                // ORO [LQ_BASE_TIME]
      0x00, 101, 0x00, 4, 1, 2, 3, 4,             // LQ_START_TIME
  };
  ASSERT_EQ(frame, expected);
  auto m = decode(frame_body(frame));
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto parsed = parse_query(*m);
  ASSERT_TRUE(std::holds_alternative<Query>(parsed));
  const Query& q = std::get<Query>(parsed);
  EXPECT_TRUE(q.active());
  EXPECT_EQ(q.xid, 0x000102u);
  EXPECT_EQ(q.query_type, kByLinkAddress);
  EXPECT_EQ(q.start_time, 0x01020304u);
  EXPECT_TRUE(q.wants_base_time);
  EXPECT_EQ(q.requestor_client_id, (Bytes{0xde, 0xad}));
}

QueryError error_of(const Message& m) {
  auto parsed = parse_query(m);
  EXPECT_TRUE(std::holds_alternative<QueryError>(parsed));
  return std::holds_alternative<QueryError>(parsed) ? std::get<QueryError>(parsed) : QueryError{};
}

TEST(Dhcp6Wire, BadQueriesEarnTheirStatus) {
  EXPECT_EQ(error_of(Message{kLeasequeryReply, 1, {}}).status, kMalformedQuery);
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {}}).text, "missing OPTION_LQ_QUERY");
  Option short_query{kOptLqQuery, Bytes(10, 0)};
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {short_query}}).status, kMalformedQuery);
  Bytes unknown(17, 0);
  unknown[0] = 9;
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {Option{kOptLqQuery, unknown}}}).status, kUnknownQueryType);
  Bytes by_address(17, 0);
  by_address[0] = kByAddress;
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {Option{kOptLqQuery, by_address}}}).text,
            "a query by address needs an OPTION_IAADDR");
  Bytes by_client(17, 0);
  by_client[0] = kByClientId;
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {Option{kOptLqQuery, by_client}}}).status, kMalformedQuery);
  // An end time has no place in an active query.
  Message active = active_query(3, Bytes{1}, std::nullopt);
  active.options.push_back(Option{kOptLqEndTime, Bytes{0, 0, 0, 1}});
  EXPECT_EQ(error_of(active).text, "OPTION_LQ_END_TIME is not allowed in an active query");
  Message bad_time = active_query(3, Bytes{1}, std::nullopt);
  bad_time.options.push_back(Option{kOptLqStartTime, Bytes{0, 1}});
  EXPECT_EQ(error_of(bad_time).status, kMalformedQuery);
  // Truncated inner options.
  Bytes broken(17, 0);
  broken[0] = kByLinkAddress;
  broken.insert(broken.end(), {0, 5, 0, 24, 1});
  EXPECT_EQ(error_of(Message{kLeasequery, 1, {Option{kOptLqQuery, broken}}}).status, kMalformedQuery);
}

TEST(Dhcp6Wire, BulkQueryByAddressAndClientRoundTrips) {
  BulkAsk ask;
  ask.query_type = kByAddress;
  ask.address = addr(9);
  ask.start_time = 10;
  ask.end_time = 20;
  auto m = decode(frame_body(encode(bulk_query(77, Bytes{1, 2}, ask))));
  ASSERT_TRUE(m.ok());
  Query q = std::get<Query>(parse_query(*m));
  EXPECT_FALSE(q.active());
  EXPECT_EQ(q.address, addr(9));
  EXPECT_EQ(q.end_time, 20u);
  BulkAsk by_client;
  by_client.query_type = kByClientId;
  by_client.client_duid = Bytes{7, 7, 7};
  m = decode(frame_body(encode(bulk_query(78, Bytes{1, 2}, by_client))));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<Query>(parse_query(*m)).client_duid, (Bytes{7, 7, 7}));
}

TEST(Dhcp6Wire, DecodeRefusesTruncatedMessages) {
  EXPECT_FALSE(decode(Bytes{17, 0, 0}).ok());
  EXPECT_FALSE(decode(Bytes{17, 0, 0, 1, 0, 13, 0, 5, 0}).ok());  // option longer than the message
  EXPECT_FALSE(decode(Bytes{17, 0, 0, 1, 0, 13}).ok());           // half an option header
  EXPECT_TRUE(decode(Bytes{17, 0, 0, 1}).ok());
}

TEST(Dhcp6Wire, ClientDataRoundTripsAndDescribes) {
  Binding b{addr(1), Bytes{9, 8}, 0, 0, 30};
  Message m = data(5, &b, 1u, StatusPair{kCatchUpComplete, ""});
  auto back = decode(frame_body(encode(m)));
  ASSERT_TRUE(back.ok());
  auto parsed = parse_client_data(*back->find(kOptClientData));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->address, addr(1));
  EXPECT_EQ(parsed->valid_lifetime, 0u);
  EXPECT_EQ(parsed->clt_time, 30u);
  EXPECT_EQ(find_status(*back)->first, kCatchUpComplete);
  EXPECT_EQ(describe(*back),
            "LEASEQUERY-DATA xid=5 status=CatchUpComplete base-time=1 binding=2001:db8:0:0:0:0:0:1 preferred=0 valid=0 "
            "clt-time=30 duid=0908");
}

TEST(Dhcp6Wire, FrameReaderSplitsAndJoinsAndRefusesOversize) {
  Bytes two = encode(done(1, std::nullopt, std::nullopt));
  Bytes second = encode(done(2, std::nullopt, 3u));
  two.insert(two.end(), second.begin(), second.end());
  FrameReader reader;
  reader.feed(std::span<const std::uint8_t>(two).first(3));
  auto none = reader.next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  reader.feed(std::span<const std::uint8_t>(two).subspan(3));
  auto a = reader.next();
  auto b = reader.next();
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ(decode(**a)->xid, 1u);
  EXPECT_EQ(decode(**b)->xid, 2u);
  EXPECT_EQ(reader.buffered(), 0u);
  FrameReader small(16);
  small.feed(Bytes{0x00, 0x20});
  EXPECT_FALSE(small.next().ok());
  FrameReader zero;
  zero.feed(Bytes{0x00, 0x00});
  EXPECT_FALSE(zero.next().ok());
}

TEST(PeerIdentity, DuidAndClientIdRoundTripAndRefuseOtherShapes) {
  std::array<std::uint8_t, 32> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i * 3 + 1);
  lease::PublicKey key(raw);
  Bytes duid = duid_of(key);
  ASSERT_EQ(duid.size(), 39u);
  EXPECT_EQ(Bytes(duid.begin(), duid.begin() + 7), (Bytes{0, 2, 0, 0, 0x7e, 0xd9, 1}));
  EXPECT_EQ(*peer_of_duid(duid), key);
  Bytes client_id = client_id_of(key);
  ASSERT_EQ(client_id.size(), 44u);
  EXPECT_EQ(Bytes(client_id.begin(), client_id.begin() + 5), (Bytes{255, 0, 0, 0, 0}));
  EXPECT_EQ(*peer_of_client_id(client_id), key);
  Bytes wrong_pen = duid;
  wrong_pen[5] ^= 1;
  EXPECT_FALSE(peer_of_duid(wrong_pen).ok());
  EXPECT_FALSE(peer_of_duid(Bytes(duid.begin(), duid.end() - 1)).ok());
  EXPECT_FALSE(peer_of_client_id(Bytes{1, 2, 3}).ok());
}

}  // namespace
}  // namespace leasehold::leasequery::dhcp6
