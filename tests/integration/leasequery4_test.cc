// DHCPv4 leasequery (RFC 6926 bulk, RFC 7724 active) against the real server binary: a
// requestor built on the dhcp4 codec reads the IPv4 bindings that request_ip and the
// control API make, from the same journal as DHCPv6.
#include <gtest/gtest.h>
#include <arpa/inet.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <set>
#include <thread>

#include "harness.h"
#include "lease/public_key.h"
#include "leasequery/dhcp4_wire.h"
#include "leasequery/peer_identity.h"
#include "lq_client.h"

namespace leasehold::testing {
namespace {

namespace lq4 = leasequery::dhcp4;

class Requestor4 {
 public:
  explicit Requestor4(std::uint16_t port) : client_(FramedClient::Family::v4, port) {}
  bool ok() const { return client_.ok(); }
  bool send(const lq4::Message& m) { return client_.send_frame(lq4::encode(m)); }
  std::optional<lq4::Message> next(int timeout_ms = 5000) {
    auto body = client_.next_body(timeout_ms);
    if (!body) return std::nullopt;
    auto m = lq4::decode(*body);
    if (!m.ok()) return std::nullopt;
    return *m;
  }
  // The next message that is not a keepalive (a DHCPLEASEQUERYSTATUS without a status
  // code): on a slow machine the idle timeout can pass before an awaited change.
  std::optional<lq4::Message> next_news(int timeout_ms = 5000) {
    for (;;) {
      auto m = next(timeout_ms);
      if (!m || m->message_type() != lq4::kLeasequeryStatus || lq4::find_status(*m)) return m;
    }
  }
  bool closed() const { return client_.closed(); }

 private:
  FramedClient client_;
};

std::string text_of(const lq4::Address4& a) {
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, a.data(), text, sizeof text);
  return text;
}

lease::PublicKey key_of_peer(std::uint32_t n) { return *lease::PublicKey::from_base64(test_key(n)); }

class Leasequery4Test : public ::testing::Test {
 protected:
  void start(const std::string& leasequery_extra = "") {
    std::string extra = R"(, "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 0 } ],)"
                        R"( "leasequery": { "dhcp4": { "lease-query-tcp-port": 0, "requesters": ["127.0.0.1"], "active-idle-timeout": 1 })" +
                        leasequery_extra + " }";
    FILE* f = std::fopen(dir_.file("config.json").c_str(), "w");
    std::fputs(make_config(dir_.file("leases.db"), 8, extra).c_str(), f);
    std::fclose(f);
    server_ = std::make_unique<ServerProcess>(dir_.file("config.json"), dir_.file("server.log"));
    request_port_ = server_->start();
    ASSERT_NE(request_port_, 0) << server_->log();
    lq_port_ = port_in_log(server_->log(), "DHCPv4 leasequery");
    http_port_ = port_in_log(server_->log(), "control API on http");
    ASSERT_NE(lq_port_, 0) << server_->log();
    ASSERT_NE(http_port_, 0) << server_->log();
  }
  // A lease for static peer n through request_ip; returns its IPv4 address.
  std::string lease_for(std::uint32_t peer) {
    Client c(peer_source(peer), request_port_);
    std::string ipv4 = parse_lines(c.request("request_ip=1\n\n"))["ipv4"];
    return ipv4.substr(0, ipv4.find('/'));
  }
  std::string control(const std::string& command) {
    return run_command("curl -s -X POST -H 'Content-Type: application/json' -d '" + command + "' http://127.0.0.1:" +
                       std::to_string(http_port_) + "/").output;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t lq_port_ = 0, http_port_ = 0, request_port_ = 0;
};

TEST_F(Leasequery4Test, BulkQueryForAllAndByClientIdAnswersLeaseActiveThenDone) {
  start();
  std::string a0 = lease_for(0), a1 = lease_for(1);
  Requestor4 r(lq_port_);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.send(lq4::bulk_query(0x0201, lq4::BulkAsk{})));
  std::set<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    auto m = r.next();
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->message_type(), lq4::kLeaseActive);
    EXPECT_EQ(m->xid, 0x0201u);
    EXPECT_EQ(m->op, lq4::kBootReply);
    ASSERT_TRUE(lq4::find_base_time(*m).has_value());
    if (i == 0) {
      EXPECT_NE(m->find(lq4::kOptServerIdentifier), nullptr);
    }
    auto b = lq4::parse_binding(*m);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->state, lq4::kStateActive);
    EXPECT_GT(b->lease_seconds_left, 3500u);
    seen.insert(text_of(b->address));
  }
  EXPECT_EQ(seen, (std::set<std::string>{a0, a1}));
  auto done = r.next();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->message_type(), lq4::kLeasequeryDone);
  EXPECT_FALSE(lq4::find_status(*done).has_value());  // no status: Success

  // By client identifier: the peer's RFC 4361 identifier names it.
  lq4::BulkAsk by_client;
  by_client.kind = lq4::QueryKind::kByClientId;
  by_client.client_id = leasequery::client_id_of(key_of_peer(1));
  ASSERT_TRUE(r.send(lq4::bulk_query(0x0202, by_client)));
  auto one = r.next();
  ASSERT_TRUE(one.has_value());
  auto b = lq4::parse_binding(*one);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(text_of(b->address), a1);
  EXPECT_EQ(*leasequery::peer_of_client_id(b->client_id), key_of_peer(1));
  EXPECT_EQ(r.next()->message_type(), lq4::kLeasequeryDone);

  // A peer with no lease: DONE alone.
  by_client.client_id = leasequery::client_id_of(key_of_peer(5));
  ASSERT_TRUE(r.send(lq4::bulk_query(0x0203, by_client)));
  auto none = r.next();
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->message_type(), lq4::kLeasequeryDone);
  EXPECT_EQ(none->xid, 0x0203u);
}

TEST_F(Leasequery4Test, MalformedBulkQueryGetsDoneWithStatusAndTheConnectionGoesOn) {
  start();
  std::string a0 = lease_for(0);
  Requestor4 r(lq_port_);
  auto bad = lq4::bulk_query(0x0301, lq4::BulkAsk{});
  bad.ciaddr = {10, 47, 0, 1};  // RFC 6926: a bulk query's ciaddr must be zero
  ASSERT_TRUE(r.send(bad));
  auto refused = r.next();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->message_type(), lq4::kLeasequeryDone);
  EXPECT_EQ(lq4::find_status(*refused)->first, lq4::kMalformedQuery);
  ASSERT_TRUE(r.send(lq4::bulk_query(0x0302, lq4::BulkAsk{})));
  auto m = r.next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->message_type(), lq4::kLeaseActive);
  EXPECT_EQ(text_of(lq4::parse_binding(*m)->address), a0);
}

TEST_F(Leasequery4Test, ActiveQueryStreamsGrantsAndEndsKeepalivesAndTerminatesAtShutdown) {
  start();
  Requestor4 r(lq_port_);
  ASSERT_TRUE(r.send(lq4::active_query(9, std::nullopt)));
  // An active query without a start time says nothing until there is news: its first
  // keepalive shows it is in place before the grant.
  auto first = r.next(5000);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->message_type(), lq4::kLeasequeryStatus);
  std::string a0 = lease_for(0);
  auto granted = r.next_news();
  ASSERT_TRUE(granted.has_value());
  EXPECT_EQ(granted->message_type(), lq4::kLeaseActive);
  EXPECT_EQ(granted->xid, 9u);
  EXPECT_EQ(text_of(lq4::parse_binding(*granted)->address), a0);

  EXPECT_NE(control(R"({"command": "lease4-del", "arguments": {"ip-address": ")" + a0 + R"(", "mode": "release"}})")
                .find("\"result\": 0"),
            std::string::npos);
  auto ended = r.next_news();
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->message_type(), lq4::kLeaseUnassigned);
  auto b = lq4::parse_binding(*ended);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(text_of(b->address), a0);
  // Released, and with no hold time freed at once: the newest state is what is reported.
  EXPECT_TRUE(b->state == lq4::kStateReleased || b->state == lq4::kStateAvailable) << int(b->state);
  EXPECT_EQ(*leasequery::peer_of_client_id(b->client_id), key_of_peer(0));

  // The release and the removal that frees the address may come as two messages (two
  // commits); then, idle for the (1 s) idle timeout: a DHCPLEASEQUERYSTATUS holding only
  // the base time.
  auto keepalive = r.next(3000);
  while (keepalive && keepalive->message_type() == lq4::kLeaseUnassigned) {
    EXPECT_EQ(text_of(lq4::parse_binding(*keepalive)->address), a0);
    keepalive = r.next(3000);
  }
  ASSERT_TRUE(keepalive.has_value());
  EXPECT_EQ(keepalive->message_type(), lq4::kLeasequeryStatus);
  EXPECT_FALSE(lq4::find_status(*keepalive).has_value());
  EXPECT_TRUE(lq4::find_base_time(*keepalive).has_value());

  std::thread stopper([this] { server_->stop(); });
  std::optional<lq4::Message> last;
  while (auto m = r.next(5000)) last = m;
  stopper.join();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->message_type(), lq4::kLeasequeryDone);
  EXPECT_EQ(lq4::find_status(*last)->first, lq4::kQueryTerminated);
  EXPECT_TRUE(r.closed());
}

TEST_F(Leasequery4Test, CatchUpFromAStartTimeEndsWithCatchUpComplete) {
  start();
  std::string a0 = lease_for(0);
  // Wait for the next second: peer 1's grant is stamped at or after `since`, peer 0's before.
  std::time_t since = std::time(nullptr) + 1;
  while (std::time(nullptr) < since) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::string a1 = lease_for(1);
  Requestor4 r(lq_port_);
  ASSERT_TRUE(r.send(lq4::active_query(3, lq4::absolute_time(since))));
  std::vector<std::string> caught;
  for (;;) {
    auto m = r.next();
    ASSERT_TRUE(m.has_value());
    if (m->message_type() == lq4::kLeasequeryStatus) {
      ASSERT_EQ(lq4::find_status(*m)->first, lq4::kCatchUpComplete);
      break;
    }
    if (auto b = lq4::parse_binding(*m)) caught.push_back(text_of(b->address));
  }
  EXPECT_EQ(caught, (std::vector<std::string>{a1}));
  // Live changes follow the catch-up.
  std::string a2 = lease_for(2);
  auto live = r.next_news();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(text_of(lq4::parse_binding(*live)->address), a2);
}

TEST_F(Leasequery4Test, StartTimeBeyondTheJournalGetsDataMissing) {
  start(R"(, "journal": { "max-entries": 2 })");
  for (std::uint32_t p = 0; p < 6; ++p) lease_for(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // housekeeping compacts when idle
  Requestor4 r(lq_port_);
  ASSERT_TRUE(r.send(lq4::active_query(4, 1)));
  auto m = r.next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->message_type(), lq4::kLeasequeryStatus);
  EXPECT_EQ(lq4::find_status(*m)->first, lq4::kDataMissing);
  EXPECT_TRUE(lq4::find_base_time(*m).has_value());
  // Then only live changes.
  std::string a6 = lease_for(6);
  auto live = r.next_news();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(text_of(lq4::parse_binding(*live)->address), a6);
}

TEST_F(Leasequery4Test, EndTimeInAnActiveQueryIsMalformedAndCloses) {
  start();
  Requestor4 r(lq_port_);
  auto q = lq4::active_query(5, std::nullopt);
  q.options.push_back(lq4::Option{lq4::kOptQueryEndTime, {0, 0, 0, 1}});
  ASSERT_TRUE(r.send(q));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->message_type(), lq4::kLeasequeryStatus);
  EXPECT_EQ(lq4::find_status(*reply)->first, lq4::kMalformedQuery);
  EXPECT_FALSE(r.next(2000).has_value());
  EXPECT_TRUE(r.closed());
}

TEST_F(Leasequery4Test, RequestorsOutsideTheListAreClosedAtOnce) {
  start(R"(, "dhcp6": { "lease-query-tcp-port": 0, "requesters": ["::1"] })");
  // The v4 listener allows only 127.0.0.1; a request from 127.0.0.2 is refused.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl(0x7f000002);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(lq_port_);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
  auto frame = lq4::encode(lq4::active_query(1, std::nullopt));
  (void)!::write(fd, frame.data(), frame.size());
  char byte;
  EXPECT_LE(::read(fd, &byte, 1), 0);  // closed without an answer
  ::close(fd);
  EXPECT_NE(server_->log().find("DHCPv4 connection from 127.0.0.2 refused"), std::string::npos) << server_->log();
  // Both listeners run side by side on one journal.
  EXPECT_NE(port_in_log(server_->log(), "DHCPv6 leasequery"), 0);
}

}  // namespace
}  // namespace leasehold::testing
