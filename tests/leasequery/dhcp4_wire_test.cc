// DHCPv4 leasequery wire format: frames written out by hand from the RFC 2131 layout and
// the RFC 4388 / 6926 / 7724 options, query-kind determination, every malformed query,
// decoder strictness, and the framing shared with DHCPv6 (tcp_frame).
#include "leasequery/dhcp4_wire.h"
#include "leasequery/tcp_frame.h"

#include <gtest/gtest.h>

#include <variant>

namespace leasehold::leasequery::dhcp4 {
namespace {

Bytes body_of(const Bytes& frame) { return Bytes(frame.begin() + 2, frame.end()); }

// The 236-octet fixed part field by field (RFC 2131 §2), then the magic cookie: what every
// expected frame below starts with. Fields not given are zero.
Bytes fixed_part(std::uint8_t op, std::array<std::uint8_t, 4> xid, Address4 ciaddr = {}, std::uint8_t htype = 0,
                 Bytes chaddr = {}) {
  Bytes b{op, htype, static_cast<std::uint8_t>(chaddr.size()), 0};  // op, htype, hlen, hops
  b.insert(b.end(), xid.begin(), xid.end());
  b.insert(b.end(), 4, 0);                          // secs, flags
  b.insert(b.end(), ciaddr.begin(), ciaddr.end());  // ciaddr
  b.insert(b.end(), 12, 0);                         // yiaddr, siaddr, giaddr
  chaddr.resize(16, 0);
  b.insert(b.end(), chaddr.begin(), chaddr.end());  // chaddr
  b.insert(b.end(), 64 + 128, 0);                   // sname, file
  b.insert(b.end(), {99, 130, 83, 99});             // magic cookie
  return b;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Message decoded(const Bytes& frame) {
  auto m = decode(body_of(frame));
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? *m : Message{};
}

Query query_of(const Message& m) {
  auto parsed = parse_query(m);
  EXPECT_TRUE(std::holds_alternative<Query>(parsed)) << std::get<QueryError>(parsed).text;
  return std::holds_alternative<Query>(parsed) ? std::get<Query>(parsed) : Query{};
}

QueryError error_of(const Message& m) {
  auto parsed = parse_query(m);
  EXPECT_TRUE(std::holds_alternative<QueryError>(parsed));
  return std::holds_alternative<QueryError>(parsed) ? std::get<QueryError>(parsed) : QueryError{kSuccess, ""};
}

Message bulk(std::initializer_list<Option> options) {
  Message m;
  m.op = kBootRequest;
  m.xid = 7;
  m.options.push_back(Option{kOptMessageType, Bytes{kBulkLeasequery}});
  m.options.insert(m.options.end(), options);
  return m;
}

Message active(std::initializer_list<Option> options) {
  Message m = bulk(options);
  m.options[0].data[0] = kActiveLeasequery;
  return m;
}

const Address4 kPeer{192, 0, 2, 5};
const Bytes kClientId{0xff, 0, 0, 0, 0, 0xab};

TEST(Dhcp4Wire, AbsoluteTimeIsUnixTime) {
  EXPECT_EQ(absolute_time(0), 0u);
  EXPECT_EQ(absolute_time(1700000000), 1700000000u);
  EXPECT_EQ(absolute_time(-5), 0u);                       // before 1970: clamped
  EXPECT_EQ(absolute_time(0x100000000LL), 0xffffffffu);   // past 2106: clamped
  EXPECT_EQ(unix_time(1700000000u), 1700000000);
}

TEST(Dhcp4Wire, LeaseActiveIsByteExact) {
  Binding b{kPeer, kClientId, 3600, 30, kStateActive, 100};
  Bytes frame = encode(lease_active(0x01020304, b, 0x5f000000u));
  const Bytes options = {
      53, 1, 13,                          // DHCPLEASEACTIVE
      61, 6, 0xff, 0, 0, 0, 0, 0xab,      // client-identifier
      51, 4, 0x00, 0x00, 0x0e, 0x10,      // lease time 3600
      91, 4, 0, 0, 0, 30,                 // client-last-transaction-time
      152, 4, 0x5f, 0, 0, 0,              // base-time
      156, 1, 2,                          // dhcp-state ACTIVE
      153, 4, 0, 0, 0, 100,               // start-time-of-state
      255,                                // end
  };
  const Bytes expected = concat(concat({0x01, 0x17},  // length 279 = 240 + 39
                                       fixed_part(2, {1, 2, 3, 4}, kPeer)),
                                options);
  EXPECT_EQ(frame, expected);
}

TEST(Dhcp4Wire, LeaseUnassignedIsByteExactAndCarriesNoLeaseTime) {
  Binding b{kPeer, {}, 999, 40, kStateReleased, 5};
  Bytes frame = encode(lease_unassigned(9, b, 1000u));
  const Bytes options = {
      53, 1, 11,              // DHCPLEASEUNASSIGNED
      91, 4, 0, 0, 0, 40,     // client-last-transaction-time
      152, 4, 0, 0, 0x03, 0xe8,
      156, 1, 4,              // RELEASED
      153, 4, 0, 0, 0, 5,
      255,
  };
  EXPECT_EQ(frame, concat(concat({0x01, 0x09}, fixed_part(2, {0, 0, 0, 9}, kPeer)), options));  // 265 = 240 + 25
}

TEST(Dhcp4Wire, StatusMessagesAreByteExact) {
  EXPECT_EQ(encode(done(1, StatusPair{kQueryTerminated, ""}, std::nullopt)),
            concat(concat({0x00, 0xf7}, fixed_part(2, {0, 0, 0, 1})), {53, 1, 15, 151, 1, 2, 255}));
  EXPECT_EQ(encode(done(2, std::nullopt, std::nullopt)),
            concat(concat({0x00, 0xf4}, fixed_part(2, {0, 0, 0, 2})), {53, 1, 15, 255}));
  EXPECT_EQ(encode(data_missing(3, "gap", 0x01020304u)),
            concat(concat({0x01, 0x00}, fixed_part(2, {0, 0, 0, 3})),  // 256
                   {53, 1, 17, 151, 4, 5, 'g', 'a', 'p', 152, 4, 1, 2, 3, 4, 255}));
  EXPECT_EQ(encode(catch_up_complete(4, 7u)),
            concat(concat({0x00, 0xfd}, fixed_part(2, {0, 0, 0, 4})), {53, 1, 17, 151, 1, 7, 152, 4, 0, 0, 0, 7, 255}));
  // The idle keepalive carries no status code at all.
  EXPECT_EQ(encode(keepalive(5, 8u)), concat(concat({0x00, 0xfa}, fixed_part(2, {0, 0, 0, 5})), {53, 1, 17, 152, 4, 0, 0, 0, 8, 255}));
}

TEST(Dhcp4Wire, FinalStatusFollowsTheQueryType) {
  Message for_active = final_status(kActiveLeasequery, 6, kNotAllowed, "no", 1u);
  EXPECT_EQ(for_active.message_type(), kLeasequeryStatus);
  EXPECT_EQ(find_status(for_active), (StatusPair{kNotAllowed, "no"}));
  Message for_bulk = final_status(kBulkLeasequery, 6, kMalformedQuery, "bad", std::nullopt);
  EXPECT_EQ(for_bulk.message_type(), kLeasequeryDone);
  EXPECT_EQ(find_status(for_bulk), (StatusPair{kMalformedQuery, "bad"}));
  EXPECT_EQ(for_bulk.xid, 6u);
}

TEST(Dhcp4Wire, ServerIdentifierGoesRightAfterTheType) {
  Message m = done(1, std::nullopt, 2u);
  add_server_identifier(m, Address4{10, 0, 0, 1});
  ASSERT_EQ(m.options.size(), 3u);
  EXPECT_EQ(m.options[1], (Option{kOptServerIdentifier, Bytes{10, 0, 0, 1}}));
}

TEST(Dhcp4Wire, ActiveQueryIsByteExactAndParses) {
  Bytes frame = encode(active_query(0xa1b2c3d4, 0x01020304u));
  const Bytes options = {
      53, 1, 16,                          // DHCPACTIVELEASEQUERY
      55, 6, 51, 61, 91, 152, 153, 156,   // parameter request list
      154, 4, 1, 2, 3, 4,                 // query-start-time
      255,
  };
  ASSERT_EQ(frame, concat(concat({0x01, 0x02}, fixed_part(1, {0xa1, 0xb2, 0xc3, 0xd4})), options));  // 258 = 240 + 18
  Query q = query_of(decoded(frame));
  EXPECT_TRUE(q.active());
  EXPECT_EQ(q.xid, 0xa1b2c3d4u);
  EXPECT_EQ(q.kind, QueryKind::kAllAddresses);
  EXPECT_EQ(q.start_time, 0x01020304u);
  EXPECT_FALSE(q.end_time);
  EXPECT_TRUE(q.asks_for(kOptBaseTime));
  EXPECT_FALSE(q.asks_for(kOptAssociatedIp));
}

TEST(Dhcp4Wire, BulkQueryByRelayIdIsByteExact) {
  BulkAsk ask;
  ask.kind = QueryKind::kByRelayId;
  ask.relay_id = Bytes{0xde, 0xad};
  ask.end_time = 20;
  const Bytes options = {
      53, 1, 14,                          // DHCPBULKLEASEQUERY
      82, 4, 12, 2, 0xde, 0xad,           // relay agent information: relay-id
      55, 6, 51, 61, 91, 152, 153, 156,
      155, 4, 0, 0, 0, 20,                // query-end-time
      255,
  };
  EXPECT_EQ(encode(bulk_query(0x10, ask)), concat(concat({0x01, 0x08}, fixed_part(1, {0, 0, 0, 0x10})), options));  // 264 = 240 + 24
}

TEST(Dhcp4Wire, BulkQueriesOfEveryKindRoundTrip) {
  BulkAsk by_mac;
  by_mac.kind = QueryKind::kByHardwareAddress;
  by_mac.hardware_address = Bytes{2, 0, 0, 0, 0, 1};
  Bytes mac_frame = encode(bulk_query(1, by_mac));
  EXPECT_EQ(Bytes(mac_frame.begin() + 2, mac_frame.begin() + 2 + 240), fixed_part(1, {0, 0, 0, 1}, {}, 1, {2, 0, 0, 0, 0, 1}));
  Query q = query_of(decoded(mac_frame));
  EXPECT_EQ(q.kind, QueryKind::kByHardwareAddress);
  EXPECT_EQ(q.htype, 1);
  EXPECT_EQ(q.hardware_address, (Bytes{2, 0, 0, 0, 0, 1}));

  BulkAsk by_client;
  by_client.kind = QueryKind::kByClientId;
  by_client.client_id = kClientId;
  by_client.start_time = 10;
  by_client.end_time = 20;
  q = query_of(decoded(encode(bulk_query(2, by_client))));
  EXPECT_EQ(q.kind, QueryKind::kByClientId);
  EXPECT_EQ(q.client_id, kClientId);
  EXPECT_EQ(q.start_time, 10u);
  EXPECT_EQ(q.end_time, 20u);

  BulkAsk by_remote;
  by_remote.kind = QueryKind::kByRemoteId;
  by_remote.remote_id = Bytes{'r', 'i'};
  q = query_of(decoded(encode(bulk_query(3, by_remote))));
  EXPECT_EQ(q.kind, QueryKind::kByRemoteId);
  EXPECT_EQ(q.remote_id, (Bytes{'r', 'i'}));
  EXPECT_FALSE(q.relay_id);

  BulkAsk by_relay;
  by_relay.kind = QueryKind::kByRelayId;
  by_relay.relay_id = Bytes{1};
  EXPECT_EQ(query_of(decoded(encode(bulk_query(4, by_relay)))).relay_id, (Bytes{1}));

  q = query_of(decoded(encode(bulk_query(5, BulkAsk{}))));
  EXPECT_EQ(q.kind, QueryKind::kAllAddresses);
  EXPECT_FALSE(q.active());
}

TEST(Dhcp4Wire, QueryKindIsReadFromTheRightPlaces) {
  // Relay agent information with an unrelated sub-option (circuit-id) before the key.
  Query q = query_of(bulk({Option{kOptRelayAgentInfo, Bytes{1, 2, 'c', 'i', 2, 3, 'r', 'e', 'm'}}}));
  EXPECT_EQ(q.kind, QueryKind::kByRemoteId);
  EXPECT_EQ(q.remote_id, (Bytes{'r', 'e', 'm'}));
  EXPECT_EQ(query_of(bulk({Option{kOptRelayAgentInfo, Bytes{1, 1, 'c'}}})).kind, QueryKind::kAllAddresses);
  Message mac = bulk({});
  mac.htype = 1;
  mac.hlen = 6;
  mac.chaddr = {1, 2, 3, 4, 5, 6, 7, 8};  // octets past hlen are not part of the address
  EXPECT_EQ(query_of(mac).hardware_address, (Bytes{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(query_of(bulk({Option{kOptVirtualSubnetSelection, Bytes{255}}})).names_vpn);
  // giaddr, yiaddr and siaddr are not query keys.
  Message relayed = bulk({});
  relayed.giaddr = Address4{10, 1, 1, 1};
  EXPECT_EQ(query_of(relayed).kind, QueryKind::kAllAddresses);
}

TEST(Dhcp4Wire, MalformedQueriesEarnMalformedQuery) {
  auto text_of = [](const Message& m) {
    QueryError e = error_of(m);
    EXPECT_EQ(e.status, kMalformedQuery) << e.text;
    return e.text;
  };
  Message no_type = bulk({});
  no_type.options.clear();
  EXPECT_EQ(text_of(no_type), "not a query: message type 0 (unknown)");
  EXPECT_EQ(text_of(decoded(encode(lease_active(1, Binding{kPeer, {}, 0, 0, kStateActive, 0}, 1u)))), "not a query: message type 13 (DHCPLEASEACTIVE)");
  Message two_octet_type = bulk({});
  two_octet_type.options[0].data.push_back(0);
  text_of(two_octet_type);

  Message by_ip = bulk({});
  by_ip.ciaddr = kPeer;
  EXPECT_EQ(text_of(by_ip), "ciaddr must be zero: there is no bulk or active query by IP address");
  Message long_hlen = bulk({});
  long_hlen.htype = 1;
  long_hlen.hlen = 17;
  EXPECT_EQ(text_of(long_hlen), "hlen 17 exceeds chaddr's 16 octets");
  Message htype_only = bulk({});
  htype_only.htype = 1;
  EXPECT_EQ(text_of(htype_only), "a query by hardware address needs both htype and hlen");
  Message hlen_only = bulk({});
  hlen_only.hlen = 6;
  text_of(hlen_only);

  EXPECT_EQ(text_of(bulk({Option{kOptClientId, Bytes{1}}})), "client-identifier shorter than 2 octets");
  EXPECT_EQ(text_of(bulk({Option{kOptRelayAgentInfo, Bytes{12, 5, 1}}})),
            "relay agent information: sub-option 12 runs past the option");
  EXPECT_EQ(text_of(bulk({Option{kOptRelayAgentInfo, Bytes{12}}})), "relay agent information: sub-option 12 runs past the option");
  EXPECT_EQ(text_of(bulk({Option{kOptRelayAgentInfo, Bytes{12, 0}}})), "empty relay-id sub-option");
  EXPECT_EQ(text_of(bulk({Option{kOptRelayAgentInfo, Bytes{2, 0}}})), "empty remote-id sub-option");
  EXPECT_EQ(text_of(bulk({Option{kOptQueryStartTime, Bytes{0, 1}}})), "query-start-time must be 4 octets");
  EXPECT_EQ(text_of(bulk({Option{kOptQueryEndTime, Bytes{0, 0, 0, 1, 0}}})), "query-end-time must be 4 octets");
  EXPECT_EQ(text_of(bulk({Option{kOptQueryStartTime, Bytes{0, 0, 0, 9}}, Option{kOptQueryEndTime, Bytes{0, 0, 0, 8}}})),
            "query-start-time is after query-end-time");

  Message client_and_mac = bulk({Option{kOptClientId, kClientId}});
  client_and_mac.htype = 1;
  client_and_mac.hlen = 6;
  EXPECT_EQ(text_of(client_and_mac), "more than one query kind: by-hardware-address and by-client-id");
  EXPECT_EQ(text_of(bulk({Option{kOptRelayAgentInfo, Bytes{2, 1, 'r', 12, 1, 'R'}}})),
            "more than one query kind: by-relay-id and by-remote-id");
}

TEST(Dhcp4Wire, ActiveQueriesAskForEverythingWithoutEnd) {
  auto text_of = [](const Message& m) {
    QueryError e = error_of(m);
    EXPECT_EQ(e.status, kMalformedQuery) << e.text;
    return e.text;
  };
  EXPECT_EQ(text_of(active({Option{kOptQueryEndTime, Bytes{0, 0, 0, 1}}})), "query-end-time is not allowed in an active query");
  EXPECT_EQ(text_of(active({Option{kOptClientId, kClientId}})), "an active query asks for all bindings, not by-client-id");
  EXPECT_EQ(text_of(active({Option{kOptRelayAgentInfo, Bytes{12, 1, 'R'}}})), "an active query asks for all bindings, not by-relay-id");
  EXPECT_EQ(text_of(active({Option{kOptRelayAgentInfo, Bytes{2, 1, 'r'}}})), "an active query asks for all bindings, not by-remote-id");
  Message mac = active({});
  mac.htype = 1;
  mac.hlen = 6;
  EXPECT_EQ(text_of(mac), "an active query asks for all bindings, not by-hardware-address");
  Message by_ip = active({});
  by_ip.ciaddr = kPeer;
  text_of(by_ip);
  // A start time alone is a catch-up request, not an error.
  EXPECT_EQ(query_of(active({Option{kOptQueryStartTime, Bytes{0, 0, 0, 1}}})).start_time, 1u);
}

TEST(Dhcp4Wire, DecodeRefusesWhatDoesNotFit) {
  Bytes good = body_of(encode(done(1, std::nullopt, std::nullopt)));
  EXPECT_TRUE(decode(good).ok());
  EXPECT_EQ(decode(Bytes(good.begin(), good.begin() + 239)).error().message,
            "message of 239 octets is shorter than the 240-octet fixed part and cookie");
  EXPECT_FALSE(decode(Bytes{}).ok());
  Bytes bad_cookie = good;
  bad_cookie[239] = 98;
  EXPECT_EQ(decode(bad_cookie).error().message, "magic cookie is not 99.130.83.99");

  Bytes header = fixed_part(1, {0, 0, 0, 1});
  EXPECT_EQ(decode(concat(header, {53, 1, 14, 61, 5, 1, 2})).error().message, "option 61 claims 5 octets, 2 left at octet 243");
  EXPECT_EQ(decode(concat(header, {53, 1, 14, 61})).error().message, "option 61 has no length octet at octet 243");
  EXPECT_EQ(decode(concat(header, {53, 1, 14, 255, 0, 7})).error().message, "octets other than pad after end at octet 243");
  EXPECT_TRUE(decode(concat(header, {53, 1, 14, 255, 0, 0})).ok());  // pad after end is fine
  EXPECT_TRUE(decode(header).ok());                                   // no options, no end
}

TEST(Dhcp4Wire, DecodeSkipsPadToleratesMissingEndAndJoinsLongOptions) {
  Bytes header = fixed_part(1, {0, 0, 0, 1});
  auto m = decode(concat(header, {0, 0, 53, 1, 14, 0, 61, 2, 0xff, 1, 152, 2, 0, 0, 61, 1, 2, 152, 2, 0, 9}));
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->options.size(), 3u);  // RFC 3396: each code once, at its first place, values joined
  EXPECT_EQ(m->options[1], (Option{kOptClientId, Bytes{0xff, 1, 2}}));
  EXPECT_EQ(find_base_time(*m), 9u);
  EXPECT_EQ(m->message_type(), kBulkLeasequery);
}

TEST(Dhcp4Wire, LongValuesAreSplitOnTheWireAndJoinedBack) {
  Message m = done(1, StatusPair{kUnspecFail, std::string(299, 'x')}, std::nullopt);  // 300-octet value
  Bytes frame = encode(m);
  ASSERT_EQ(frame.size(), 2u + 240 + 3 + (2 + 255) + (2 + 45) + 1);
  EXPECT_EQ(frame[2 + 243], 151);
  EXPECT_EQ(frame[2 + 244], 255);
  EXPECT_EQ(frame[2 + 243 + 257], 151);
  EXPECT_EQ(frame[2 + 244 + 257], 45);
  EXPECT_EQ(decoded(frame), m);
  Message empty_value = done(1, std::nullopt, std::nullopt);
  empty_value.options.push_back(Option{kOptClientId, {}});
  EXPECT_EQ(decoded(encode(empty_value)), empty_value);
}

TEST(Dhcp4Wire, EveryFixedFieldRoundTrips) {
  Message m = bulk({Option{kOptClientId, kClientId}});
  m.hops = 3;
  m.xid = 0xfedcba98;
  m.secs = 0x1234;
  m.flags = 0x8000;
  m.yiaddr = {1, 2, 3, 4};
  m.siaddr = {5, 6, 7, 8};
  m.giaddr = {9, 10, 11, 12};
  m.sname[0] = 's';
  m.file[127] = 'f';
  EXPECT_EQ(decoded(encode(m)), m);
}

TEST(Dhcp4Wire, BindingsRoundTripAndDescribe) {
  Binding b{kPeer, kClientId, 3600, 30, kStateActive, 100};
  Message m = decoded(encode(lease_active(5, b, 1000u)));
  auto back = parse_binding(m);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->address, kPeer);
  EXPECT_EQ(back->client_id, kClientId);
  EXPECT_EQ(back->lease_seconds_left, 3600u);
  EXPECT_EQ(back->seconds_since_transaction, 30u);
  EXPECT_EQ(back->state, kStateActive);
  EXPECT_EQ(back->seconds_in_state, 100u);
  EXPECT_EQ(describe(m),
            "DHCPLEASEACTIVE xid=5 base-time=1000 address=192.0.2.5 state=ACTIVE lease-time=3600 clt-time=30 state-time=100 "
            "client-id=ff00000000ab");
}

TEST(Dhcp4Wire, EndedBindingsAndStatusDescribe) {
  Binding ended{kPeer, {}, 0, 50, kStateExpired, 7};
  Message m = decoded(encode(lease_unassigned(6, ended, 2000u)));
  EXPECT_EQ(parse_binding(m)->state, kStateExpired);
  EXPECT_EQ(parse_binding(m)->lease_seconds_left, 0u);
  EXPECT_EQ(describe(m), "DHCPLEASEUNASSIGNED xid=6 base-time=2000 address=192.0.2.5 state=EXPIRED clt-time=50 state-time=7");
  EXPECT_EQ(describe(data_missing(7, "compacted", 3u)), "DHCPLEASEQUERYSTATUS xid=7 status=DataMissing \"compacted\" base-time=3");
  EXPECT_EQ(describe(active_query(8, 4u)), "DHCPACTIVELEASEQUERY xid=8 query=all-addresses start-time=4");
  EXPECT_EQ(describe(active({Option{kOptQueryEndTime, Bytes{0, 0, 0, 1}}})),
            "DHCPACTIVELEASEQUERY xid=7 query=(malformed: query-end-time is not allowed in an active query)");
  EXPECT_FALSE(parse_binding(done(1, std::nullopt, 1u)));
  EXPECT_FALSE(find_status(keepalive(1, 1u)));
}

TEST(Dhcp4Wire, FramesAreCutByTheSharedReader) {
  Bytes two = encode(done(1, std::nullopt, std::nullopt));
  Bytes second = encode(keepalive(2, 3u));
  two.insert(two.end(), second.begin(), second.end());
  FrameReader reader;
  reader.feed(std::span<const std::uint8_t>(two).first(100));
  auto none = reader.next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  reader.feed(std::span<const std::uint8_t>(two).subspan(100));
  auto a = reader.next();
  auto b = reader.next();
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ(decode(**a)->message_type(), kLeasequeryDone);
  EXPECT_EQ(decode(**b)->xid, 2u);
  EXPECT_EQ(reader.buffered(), 0u);
  FrameReader zero;
  zero.feed(Bytes{0x00, 0x00, 0x01});
  auto refused = zero.next();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "frame length 0 outside 1..65535");
  EXPECT_EQ(frame(Bytes{7, 8, 9}), (Bytes{0, 3, 7, 8, 9}));
}

}  // namespace
}  // namespace leasehold::leasequery::dhcp4
