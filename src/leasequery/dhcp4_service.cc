#include "leasequery/dhcp4_service.h"

#include <algorithm>
#include <variant>

#include "leasequery/dhcp4_wire.h"
#include "leasequery/journal_stream.h"
#include "leasequery/peer_identity.h"

namespace leasehold::leasequery {

namespace asio = boost::asio;

namespace {

std::uint32_t clamp32(std::int64_t v) { return static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, 0xffffffff)); }

dhcp4::Address4 bytes_of(const net::Address& a) {
  std::uint32_t v = a.v4_value();
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

// The dhcp-state a change leaves its address in.
std::uint8_t state_after(const lease::LeaseChange& c) {
  if (is_live(c)) return dhcp4::kStateActive;
  switch (c.kind) {
    case lease::LeaseChange::Kind::release: return dhcp4::kStateReleased;
    case lease::LeaseChange::Kind::expire: return dhcp4::kStateExpired;
    default: return dhcp4::kStateAvailable;
  }
}

dhcp4::Binding binding_of(const lease::LeaseRecord& r, std::uint8_t state, std::int64_t state_since, std::int64_t now) {
  dhcp4::Binding b;
  b.address = bytes_of(r.address);
  b.client_id = client_id_of(r.key);
  b.state = state;
  b.lease_seconds_left = state == dhcp4::kStateActive ? clamp32(r.expires_at() - now) : 0;
  b.seconds_since_transaction = clamp32(now - r.cltt);
  b.seconds_in_state = clamp32(now - state_since);
  return b;
}

dhcp4::Message message_for(std::uint32_t xid, const dhcp4::Binding& b, std::uint32_t base_time) {
  return b.state == dhcp4::kStateActive ? dhcp4::lease_active(xid, b, base_time) : dhcp4::lease_unassigned(xid, b, base_time);
}

// An IPv4 binding with a known holder: what DHCPv4 replies can carry.
bool reportable(const lease::LeaseRecord& r) { return r.address.is_v4() && !(r.key == lease::PublicKey()); }

bool matches(const dhcp4::Query& q, const lease::LeaseRecord& r) {
  switch (q.kind) {
    case dhcp4::QueryKind::kAllAddresses: return true;
    case dhcp4::QueryKind::kByClientId: {
      auto key = peer_of_client_id(*q.client_id);
      return key.ok() && *key == r.key;
    }
    default: return false;  // hardware address, relay and remote ids: peers have none of them
  }
}

class Dhcp4Protocol final : public QueryProtocol {
 public:
  Dhcp4Protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp4ProtocolOptions options, std::function<std::int64_t()> now)
      : hub_(hub), reader_(reader), options_(options), now_(std::move(now)) {}

  const char* name() const override { return "DHCPv4"; }

  asio::awaitable<std::optional<Query>> start(std::shared_ptr<QueryConnection> conn, Bytes body) override {
    auto message = dhcp4::decode(body);
    if (!message) {
      // Not even a BOOTP message: nothing to answer in kind.
      std::uint32_t xid = body.size() >= 8 ? (std::uint32_t{body[4]} << 24 | body[5] << 16 | body[6] << 8 | body[7]) : 0;
      co_await conn->send(dhcp4::encode(dhcp4::done(xid, dhcp4::StatusPair{dhcp4::kMalformedQuery, message.error().message}, base_time())));
      co_await conn->flush();
      conn->close();
      co_return std::nullopt;
    }
    auto parsed = dhcp4::parse_query(*message);
    if (auto* q = std::get_if<dhcp4::Query>(&parsed); q && q->names_vpn)
      parsed = dhcp4::QueryError{dhcp4::kNotAllowed, "no VPNs here"};
    if (auto* error = std::get_if<dhcp4::QueryError>(&parsed)) {
      std::uint8_t type = message->message_type();
      co_await conn->send(dhcp4::encode(dhcp4::final_status(type, message->xid, error->status, error->text, base_time())));
      // RFC 7724: an active query that is refused ends its connection; a bulk one may go on.
      if (type != dhcp4::kBulkLeasequery) {
        co_await conn->flush();
        conn->close();
      }
      co_return std::nullopt;
    }
    auto q = std::get<dhcp4::Query>(std::move(parsed));
    Query query{q.xid, q.active(), q.active() ? run_active(conn, q) : run_bulk(conn, q)};
    co_return query;
  }

  Bytes terminated(std::uint32_t xid) override {
    return dhcp4::encode(dhcp4::done(xid, dhcp4::StatusPair{dhcp4::kQueryTerminated, "server shutting down"}, base_time()));
  }

 private:
  std::uint32_t base_time() const { return dhcp4::absolute_time(now_()); }

  Result<std::vector<dhcp4::Binding>> find_bindings(const dhcp4::Query& q) {
    std::int64_t t = now_();
    std::vector<dhcp4::Binding> found;
    if (q.start_time || q.end_time) {
      std::int64_t start = q.start_time ? dhcp4::unix_time(*q.start_time) : 0;
      std::int64_t end = q.end_time ? dhcp4::unix_time(*q.end_time) : INT64_MAX;
      auto changed = changes_between(reader_, start, end);
      if (!changed) return changed.error();
      for (const auto& e : *changed)
        if (reportable(e.change.record) && matches(q, e.change.record))
          found.push_back(binding_of(e.change.record, state_after(e.change), e.change.at, t));
      return found;
    }
    auto st = reader_.snapshot([&](const lease::LeaseRecord& r) {
      if (reportable(r) && r.state == lease::LeaseState::assigned && matches(q, r))
        found.push_back(binding_of(r, dhcp4::kStateActive, r.cltt, t));
    });
    if (!st) return st.error();
    return found;
  }

  // RFC 6926: one message per binding, then DHCPLEASEQUERYDONE; the first carries the
  // server identifier.
  asio::awaitable<void> run_bulk(std::shared_ptr<QueryConnection> conn, dhcp4::Query q) {
    auto found = find_bindings(q);
    if (!found) {
      co_await conn->send(dhcp4::encode(dhcp4::done(q.xid, dhcp4::StatusPair{dhcp4::kUnspecFail, "cannot read leases"}, base_time())));
      co_return;
    }
    std::uint32_t base = base_time();
    for (std::size_t i = 0; i < found->size(); ++i) {
      auto m = message_for(q.xid, (*found)[i], base);
      if (i == 0) add_server_identifier(*conn, m);
      if (!co_await conn->send(dhcp4::encode(m))) co_return;
    }
    auto last = dhcp4::done(q.xid, std::nullopt, base);
    if (found->empty()) add_server_identifier(*conn, last);
    co_await conn->send(dhcp4::encode(last));
  }

  static void add_server_identifier(QueryConnection& conn, dhcp4::Message& m) {
    boost::system::error_code ec;
    auto local = conn.socket().local_endpoint(ec).address();
    if (!ec && local.is_v4()) dhcp4::add_server_identifier(m, bytes_of(to_net_address(local)));
  }

  // RFC 7724: catch-up from query-start-time (CatchUpComplete, or DataMissing), then every
  // change as it commits, keepalives when idle.
  asio::awaitable<void> run_active(std::shared_ptr<QueryConnection> conn, dhcp4::Query q) {
    CatchUp plan;
    plan.after = plan.upto = hub_.last_revision();
    if (q.start_time) plan = plan_catch_up(hub_, reader_, dhcp4::unix_time(*q.start_time));
    if (plan.outcome == CatchUp::Outcome::unreadable) {
      co_await conn->send(dhcp4::encode(dhcp4::status(q.xid, dhcp4::kUnspecFail, "cannot read the journal", base_time())));
      co_await conn->flush();
      conn->close();
      co_return;
    }
    EmitEntry emit = [this, conn, xid = q.xid](const store::JournalEntry& e) -> asio::awaitable<bool> {
      const auto& r = e.change.record;
      if (!reportable(r)) co_return true;
      std::int64_t t = now_();
      auto b = binding_of(r, state_after(e.change), e.change.at, t);
      co_return co_await conn->send(dhcp4::encode(message_for(xid, b, dhcp4::absolute_time(t))));
    };
    if (plan.outcome == CatchUp::Outcome::data_missing) {
      if (!co_await conn->send(dhcp4::encode(
              dhcp4::data_missing(q.xid, "the journal does not reach back to the start time", base_time()))))
        co_return;
    } else if (q.start_time) {
      std::uint64_t cursor = plan.after;
      if (!co_await replay(hub_, reader_, cursor, plan.upto, emit)) co_return;
      if (!co_await conn->send(dhcp4::encode(dhcp4::catch_up_complete(q.xid, base_time())))) co_return;
    }
    co_await follow(*conn, hub_, reader_, plan.upto, options_.idle_timeout, emit,
                    [this, xid = q.xid] { return dhcp4::encode(dhcp4::keepalive(xid, base_time())); });
  }

  ChangeHub& hub_;
  store::JournalReader& reader_;
  Dhcp4ProtocolOptions options_;
  std::function<std::int64_t()> now_;
};

}  // namespace

std::unique_ptr<QueryProtocol> make_dhcp4_protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp4ProtocolOptions options,
                                                   std::function<std::int64_t()> now) {
  return std::make_unique<Dhcp4Protocol>(hub, reader, options, std::move(now));
}

}  // namespace leasehold::leasequery
