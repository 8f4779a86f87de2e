// Leasequery against the real server binary: DHCPv6 bulk and active leasequery over TCP
// (a requestor built on the codec), catch-up across a restart, DataMissing, the requester
// allow-list, and the JSON lease stream's catch-up and "compacted" answer.
#include <gtest/gtest.h>
#include <arpa/inet.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <thread>

#include "harness.h"
#include "lq_client.h"
#include "lease/public_key.h"
#include "leasequery/dhcp6_wire.h"
#include "leasequery/peer_identity.h"

namespace leasehold::testing {
namespace {

namespace lq6 = leasequery::dhcp6;

// A DHCPv6 leasequery requestor on [::1].
class Requestor {
 public:
  explicit Requestor(std::uint16_t port) : client_(FramedClient::Family::v6, port) {}
  bool ok() const { return client_.ok(); }
  bool send(const lq6::Message& m) { return client_.send_frame(lq6::encode(m)); }
  // The next message; nullopt on timeout or close (closed() tells which).
  std::optional<lq6::Message> next(int timeout_ms = 5000) {
    auto body = client_.next_body(timeout_ms);
    if (!body) return std::nullopt;
    auto m = lq6::decode(*body);
    if (!m.ok()) return std::nullopt;
    return *m;
  }
  bool closed() const { return client_.closed(); }

 private:
  FramedClient client_;
};

std::string address_of(const lq6::Binding& b) {
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, b.address.data(), text, sizeof text);
  return text;
}

std::optional<lq6::Binding> binding_in(const lq6::Message& m) {
  const auto* cd = m.find(lq6::kOptClientData);
  return cd ? lq6::parse_client_data(*cd) : std::nullopt;
}

const lq6::Bytes kRequestorDuid = {0, 3, 0, 1, 2, 4, 6, 8, 10, 12};

class LeasequeryTest : public ::testing::Test {
 protected:
  void start(const std::string& leasequery_extra) {
    std::string extra = R"(, "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 0 } ],)"
                        R"( "leasequery": { "dhcp6": { "lease-query-tcp-port": 0, "requesters": ["::1"], "active-idle-timeout": 1 })" +
                        leasequery_extra + " }";
    write_file(dir_.file("config.json"), make_config(dir_.file("leases.db"), 8, extra));
    server_ = std::make_unique<ServerProcess>(dir_.file("config.json"), dir_.file("server.log"));
    request_port_ = server_->start();
    ASSERT_NE(request_port_, 0) << server_->log();
    read_ports();
  }
  void read_ports() {
    lq_port_ = port_in_log(server_->log(), "DHCPv6 leasequery");
    http_port_ = port_in_log(server_->log(), "control API on http");
    ASSERT_NE(lq_port_, 0) << server_->log();
    ASSERT_NE(http_port_, 0) << server_->log();
  }
  // A lease for static peer n through request_ip; returns its IPv6 address.
  std::string lease_for(std::uint32_t peer) {
    Client c(peer_source(peer), request_port_);
    auto lines = parse_lines(c.request("request_ip=1\n\n"));
    std::string ipv6 = lines["ipv6"];
    return ipv6.substr(0, ipv6.find('/'));
  }
  std::string control(const std::string& command) {
    return run_command("curl -s -X POST -H 'Content-Type: application/json' -d '" + command + "' http://127.0.0.1:" +
                       std::to_string(http_port_) + "/").output;
  }
  static void write_file(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::uint16_t lq_port_ = 0, http_port_ = 0, request_port_ = 0;
};

lease::PublicKey key_of_peer(std::uint32_t n) { return *lease::PublicKey::from_base64(test_key(n)); }

TEST_F(LeasequeryTest, BulkQueriesAnswerTheCurrentBindingsByLinkClientAndAddress) {
  start("");
  std::string a0 = lease_for(0), a1 = lease_for(1);
  Requestor r(lq_port_);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.send(lq6::bulk_query(0x0101, kRequestorDuid, lq6::BulkAsk{})));
  auto first = r.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->type, lq6::kLeasequeryReply);
  EXPECT_EQ(first->xid, 0x0101u);
  EXPECT_EQ(first->find(lq6::kOptClientId)->data, kRequestorDuid);
  ASSERT_NE(first->find(lq6::kOptServerId), nullptr);
  std::set<std::string> seen;
  seen.insert(address_of(*binding_in(*first)));
  auto second = r.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->type, lq6::kLeasequeryData);
  seen.insert(address_of(*binding_in(*second)));
  auto done = r.next();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->type, lq6::kLeasequeryDone);
  EXPECT_EQ(seen, (std::set<std::string>{a0, a1}));

  // By client id: the peer's DUID names it; several queries share the connection.
  lq6::BulkAsk by_client;
  by_client.query_type = lq6::kByClientId;
  by_client.client_duid = leasequery::duid_of(key_of_peer(1));
  ASSERT_TRUE(r.send(lq6::bulk_query(0x0102, kRequestorDuid, by_client)));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  auto b = binding_in(*reply);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(address_of(*b), a1);
  EXPECT_EQ(*leasequery::peer_of_duid(b->duid), key_of_peer(1));
  EXPECT_GT(b->valid_lifetime, 3500u);
  EXPECT_EQ(r.next()->type, lq6::kLeasequeryDone);

  // By an address nobody holds: a reply with no binding and no DONE.
  lq6::BulkAsk by_address;
  by_address.query_type = lq6::kByAddress;
  by_address.address = lq6::Address6{0xfd, 0x00, 0x00, 0x47};
  ASSERT_TRUE(r.send(lq6::bulk_query(0x0103, kRequestorDuid, by_address)));
  reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->xid, 0x0103u);
  EXPECT_EQ(reply->find(lq6::kOptClientData), nullptr);
  EXPECT_FALSE(r.next(300).has_value());
}

TEST_F(LeasequeryTest, ActiveQueryStreamsChangesEndedBindingsKeepalivesAndTerminatesAtShutdown) {
  start("");
  Requestor r(lq_port_);
  ASSERT_TRUE(r.send(lq6::active_query(7, kRequestorDuid, std::nullopt)));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, lq6::kLeasequeryReply);
  EXPECT_EQ(lq6::find_status(*reply)->first, lq6::kSuccess);
  ASSERT_TRUE(lq6::find_base_time(*reply).has_value());

  std::string a0 = lease_for(0);
  auto granted = r.next();
  ASSERT_TRUE(granted.has_value());
  EXPECT_EQ(granted->type, lq6::kLeasequeryData);
  ASSERT_TRUE(binding_in(*granted).has_value());
  EXPECT_EQ(address_of(*binding_in(*granted)), a0);
  EXPECT_GT(binding_in(*granted)->valid_lifetime, 0u);

  EXPECT_NE(control(R"({"command": "lease6-del", "arguments": {"ip-address": ")" + a0 + R"("}})").find("\"result\": 0"),
            std::string::npos);
  auto ended = r.next();
  ASSERT_TRUE(ended.has_value());
  auto b = binding_in(*ended);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(address_of(*b), a0);
  EXPECT_EQ(b->valid_lifetime, 0u);
  EXPECT_EQ(*leasequery::peer_of_duid(b->duid), key_of_peer(0));

  // The release and the removal that frees the address may come as two messages (two
  // commits); then, idle for the (1 s) idle timeout: a LEASEQUERY-DATA holding only the
  // base time.
  auto keepalive = r.next(3000);
  while (keepalive && binding_in(*keepalive)) {
    EXPECT_EQ(address_of(*binding_in(*keepalive)), a0);
    EXPECT_EQ(binding_in(*keepalive)->valid_lifetime, 0u);
    keepalive = r.next(3000);
  }
  ASSERT_TRUE(keepalive.has_value());
  EXPECT_EQ(keepalive->type, lq6::kLeasequeryData);
  EXPECT_FALSE(binding_in(*keepalive).has_value());
  EXPECT_TRUE(lq6::find_base_time(*keepalive).has_value());

  std::thread stopper([this] { server_->stop(); });
  std::optional<lq6::Message> last;
  while (auto m = r.next(5000)) last = m;
  stopper.join();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->type, lq6::kLeasequeryDone);
  EXPECT_EQ(lq6::find_status(*last)->first, lq6::kQueryTerminated);
  EXPECT_TRUE(r.closed());
}

TEST_F(LeasequeryTest, CatchUpFromABaseTimeWorksAcrossARestartAndEndsWithCatchUpComplete) {
  start("");
  std::string a0 = lease_for(0);
  std::uint32_t base = 0;
  {
    Requestor r(lq_port_);
    ASSERT_TRUE(r.send(lq6::active_query(1, kRequestorDuid, std::nullopt)));
    base = *lq6::find_base_time(*r.next());
  }
  ASSERT_EQ(server_->stop(), 0);
  ASSERT_NE(server_->start(), 0) << server_->log();
  request_port_ = server_->port();
  // The log holds both runs: the ports of the second are the last lines naming them.
  auto second_run = server_->log().rfind("leasehold-server ready");
  auto tail = server_->log().substr(server_->log().rfind("DHCPv6 leasequery", second_run));
  lq_port_ = port_in_log(tail, "DHCPv6 leasequery");
  http_port_ = port_in_log(server_->log().substr(server_->log().rfind("control API on http", second_run)), "control API on http");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later second than `base`
  std::string a1 = lease_for(1);
  Requestor r(lq_port_);
  ASSERT_TRUE(r.send(lq6::active_query(2, kRequestorDuid, base + 1)));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(lq6::find_status(*reply)->first, lq6::kSuccess);
  std::vector<std::string> caught;
  for (;;) {
    auto m = r.next();
    ASSERT_TRUE(m.has_value());
    if (auto s = lq6::find_status(*m); s && s->first == lq6::kCatchUpComplete) break;
    if (auto b = binding_in(*m)) caught.push_back(address_of(*b));
  }
  // Peer 1's grant came after the base time; peer 0's came before and is not repeated.
  EXPECT_EQ(caught, (std::vector<std::string>{a1}));
}

TEST_F(LeasequeryTest, StartTimeBeyondTheJournalGetsDataMissingAndJsonWatchGets410) {
  start(R"(, "journal": { "max-entries": 2 })");
  for (std::uint32_t p = 0; p < 6; ++p) lease_for(p);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // housekeeping compacts when idle
  Requestor r(lq_port_);
  ASSERT_TRUE(r.send(lq6::active_query(3, kRequestorDuid, 1)));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(lq6::find_status(*reply)->first, lq6::kDataMissing);
  ASSERT_TRUE(lq6::find_base_time(*reply).has_value());

  auto gone = run_command("curl -s -i --max-time 2 'http://127.0.0.1:" + std::to_string(http_port_) + "/leases/watch?from=1'");
  EXPECT_NE(gone.output.find("410 Gone"), std::string::npos) << gone.output;
  EXPECT_NE(gone.output.find("compacted"), std::string::npos) << gone.output;
  auto snapshot = run_command("curl -s 'http://127.0.0.1:" + std::to_string(http_port_) + "/leases'");
  EXPECT_NE(snapshot.output.find("\"revision\":"), std::string::npos) << snapshot.output;
  // Watching from the newest revision: catch-up is complete at once.
  auto watch = run_command("curl -s -N --max-time 1 'http://127.0.0.1:" + std::to_string(http_port_) + "/leases/watch'");
  EXPECT_NE(watch.output.find("\"event\":\"catch-up-complete\""), std::string::npos) << watch.output;
}

TEST_F(LeasequeryTest, EndTimeInAnActiveQueryIsMalformedAndCloses) {
  start("");
  Requestor r(lq_port_);
  auto q = lq6::active_query(4, kRequestorDuid, std::nullopt);
  q.options.push_back(lq6::Option{lq6::kOptLqEndTime, {0, 0, 0, 1}});
  ASSERT_TRUE(r.send(q));
  auto reply = r.next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(lq6::find_status(*reply)->first, lq6::kMalformedQuery);
  EXPECT_FALSE(r.next(2000).has_value());
  EXPECT_TRUE(r.closed());
}

TEST(LeasequeryAccess, RequestorsOutsideTheListAreClosedAtOnce) {
  TempDir dir;
  std::string extra = R"(, "leasequery": { "dhcp6": { "lease-query-tcp-port": 0, "requesters": ["2001:db8::1"] } })";
  FILE* f = std::fopen(dir.file("config.json").c_str(), "w");
  std::fputs(make_config(dir.file("leases.db"), 1, extra).c_str(), f);
  std::fclose(f);
  ServerProcess server(dir.file("config.json"), dir.file("server.log"));
  ASSERT_NE(server.start(), 0) << server.log();
  std::uint16_t port = port_in_log(server.log(), "DHCPv6 leasequery");
  ASSERT_NE(port, 0) << server.log();
  Requestor r(port);
  ASSERT_TRUE(r.ok());
  r.send(lq6::active_query(1, kRequestorDuid, std::nullopt));
  EXPECT_FALSE(r.next(2000).has_value());
  EXPECT_TRUE(r.closed());
  EXPECT_NE(server.log().find("not a configured requester"), std::string::npos);
}

}  // namespace
}  // namespace leasehold::testing
