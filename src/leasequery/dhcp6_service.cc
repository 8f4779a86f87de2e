#include "leasequery/dhcp6_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "leasequery/dhcp6_wire.h"
#include "leasequery/journal_stream.h"
#include "leasequery/peer_identity.h"

namespace leasehold::leasequery {

namespace asio = boost::asio;

namespace {

dhcp6::Binding binding_of(const lease::LeaseRecord& r, bool live, std::int64_t now) {
  dhcp6::Binding b;
  b.address = r.address.v6_bytes();
  b.duid = duid_of(r.key);
  std::int64_t left = live ? std::max<std::int64_t>(0, r.expires_at() - now) : 0;
  b.valid_lifetime = b.preferred_lifetime = static_cast<std::uint32_t>(std::min<std::int64_t>(left, 0xffffffff));
  b.clt_time = static_cast<std::uint32_t>(std::clamp<std::int64_t>(now - r.cltt, 0, 0xffffffff));
  return b;
}

// An IPv6 binding with a known holder: what DHCPv6 replies can carry.
bool reportable(const lease::LeaseRecord& r) { return !r.address.is_v4() && !(r.key == lease::PublicKey()); }

bool matches(const dhcp6::Query& q, const lease::LeaseRecord& r) {
  switch (q.query_type) {
    case dhcp6::kByAddress: return q.address && r.address.v6_bytes() == *q.address;
    case dhcp6::kByClientId: {
      if (!q.client_duid) return false;
      auto key = peer_of_duid(*q.client_duid);
      return key.ok() && *key == r.key;
    }
    case dhcp6::kByLinkAddress: {
      if (q.link_address == dhcp6::Address6{}) return true;
      // A link is named by one of its addresses: the bindings in the same /64.
      auto link = r.address.v6_bytes();
      return std::equal(link.begin(), link.begin() + 8, q.link_address.begin());
    }
    default: return false;  // relay and remote ids: no relays here, so nothing matches
  }
}

class Dhcp6Protocol final : public QueryProtocol {
 public:
  Dhcp6Protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp6ProtocolOptions options, std::function<std::int64_t()> now)
      : hub_(hub), reader_(reader), options_(std::move(options)), now_(std::move(now)) {}

  const char* name() const override { return "DHCPv6"; }

  asio::awaitable<std::optional<Query>> start(std::shared_ptr<QueryConnection> conn, Bytes body) override {
    auto message = dhcp6::decode(body);
    std::uint32_t xid = body.size() >= 4 ? (body[1] << 16 | body[2] << 8 | body[3]) : 0;
    std::variant<dhcp6::Query, dhcp6::QueryError> parsed =
        message ? dhcp6::parse_query(*message) : std::variant<dhcp6::Query, dhcp6::QueryError>(dhcp6::QueryError{dhcp6::kMalformedQuery, message.error().message});
    if (auto* error = std::get_if<dhcp6::QueryError>(&parsed)) {
      std::optional<Bytes> requestor;
      if (message)
        if (const auto* c = message->find(dhcp6::kOptClientId)) requestor = c->data;
      co_await conn->send(dhcp6::encode(dhcp6::reply(xid, dhcp6::StatusPair{error->status, error->text}, options_.server_duid,
                                              requestor, base_time(), nullptr)));
      // The draft: close after an error in an active query; a bulk requestor may go on.
      if (!message || message->type == dhcp6::kActiveLeasequery) {
        co_await conn->flush();
        conn->close();
      }
      co_return std::nullopt;
    }
    auto q = std::get<dhcp6::Query>(std::move(parsed));
    Query query{q.xid, q.active(), q.active() ? run_active(conn, q) : run_bulk(conn, q)};
    co_return query;
  }

  Bytes terminated(std::uint32_t xid) override {
    return dhcp6::encode(dhcp6::done(xid, dhcp6::StatusPair{dhcp6::kQueryTerminated, "server shutting down"}, base_time()));
  }

 private:
  std::uint32_t base_time() const { return dhcp6::absolute_time(now_()); }

  // RFC 5460: the bindings now, or those that changed between the start and end times.
  Result<std::vector<dhcp6::Binding>> find_bindings(const dhcp6::Query& q) {
    std::int64_t t = now_();
    std::vector<dhcp6::Binding> found;
    if (q.start_time || q.end_time) {
      std::int64_t start = q.start_time ? dhcp6::unix_time(*q.start_time) : 0;
      std::int64_t end = q.end_time ? dhcp6::unix_time(*q.end_time) : INT64_MAX;
      auto changed = changes_between(reader_, start, end);
      if (!changed) return changed.error();
      for (const auto& e : *changed)
        if (reportable(e.change.record) && matches(q, e.change.record))
          found.push_back(binding_of(e.change.record, is_live(e.change), t));
      return found;
    }
    auto st = reader_.snapshot([&](const lease::LeaseRecord& r) {
      if (reportable(r) && r.state == lease::LeaseState::assigned && matches(q, r)) found.push_back(binding_of(r, true, t));
    });
    if (!st) return st.error();
    return found;
  }

  // REPLY (with the first binding), DATA per further binding, DONE when any was sent.
  asio::awaitable<void> run_bulk(std::shared_ptr<QueryConnection> conn, dhcp6::Query q) {
    auto found = find_bindings(q);
    if (!found) {
      co_await conn->send(dhcp6::encode(dhcp6::reply(q.xid, dhcp6::StatusPair{dhcp6::kUnspecFail, "cannot read leases"},
                                              options_.server_duid, q.requestor_client_id, base_time(), nullptr)));
      co_return;
    }
    const dhcp6::Binding* first = found->empty() ? nullptr : &found->front();
    if (!co_await conn->send(dhcp6::encode(dhcp6::reply(q.xid, dhcp6::StatusPair{dhcp6::kSuccess, ""}, options_.server_duid,
                                                 q.requestor_client_id, base_time(), first))))
      co_return;
    if (found->empty()) co_return;
    for (std::size_t i = 1; i < found->size(); ++i)
      if (!co_await conn->send(dhcp6::encode(dhcp6::data(q.xid, &(*found)[i], std::nullopt, std::nullopt)))) co_return;
    co_await conn->send(dhcp6::encode(dhcp6::done(q.xid, std::nullopt, std::nullopt)));
  }

  // The draft's active query: a reply, catch-up from the start time if asked (or
  // DataMissing), then every change as it is committed, keepalives when idle.
  asio::awaitable<void> run_active(std::shared_ptr<QueryConnection> conn, dhcp6::Query q) {
    CatchUp plan;
    plan.after = plan.upto = hub_.last_revision();
    dhcp6::StatusPair status{dhcp6::kSuccess, ""};
    if (q.start_time) {
      plan = plan_catch_up(hub_, reader_, dhcp6::unix_time(*q.start_time));
      if (plan.outcome == CatchUp::Outcome::unreadable) status = {dhcp6::kUnspecFail, "cannot read the journal"};
      if (plan.outcome == CatchUp::Outcome::data_missing)
        status = {dhcp6::kDataMissing, "the journal does not reach back to the start time"};
    }
    if (!co_await conn->send(dhcp6::encode(dhcp6::reply(q.xid, status, options_.server_duid, q.requestor_client_id, base_time(), nullptr))))
      co_return;
    if (status.first == dhcp6::kUnspecFail) {
      conn->close();
      co_return;
    }
    EmitEntry emit = [this, conn, xid = q.xid](const store::JournalEntry& e) -> asio::awaitable<bool> {
      const auto& r = e.change.record;
      if (!reportable(r)) co_return true;
      std::int64_t t = now_();
      auto b = binding_of(r, is_live(e.change), t);
      co_return co_await conn->send(dhcp6::encode(dhcp6::data(xid, &b, dhcp6::absolute_time(t), std::nullopt)));
    };
    std::uint64_t cursor = plan.after;
    if (q.start_time && status.first == dhcp6::kSuccess) {
      if (!co_await replay(hub_, reader_, cursor, plan.upto, emit)) co_return;
      if (!co_await conn->send(dhcp6::encode(dhcp6::data(q.xid, nullptr, base_time(), dhcp6::StatusPair{dhcp6::kCatchUpComplete, ""}))))
        co_return;
    }
    co_await follow(*conn, hub_, reader_, plan.upto, options_.idle_timeout, emit,
                    [this, xid = q.xid] { return dhcp6::encode(dhcp6::data(xid, nullptr, base_time(), std::nullopt)); });
  }

  ChangeHub& hub_;
  store::JournalReader& reader_;
  Dhcp6ProtocolOptions options_;
  std::function<std::int64_t()> now_;
};

}  // namespace

std::unique_ptr<QueryProtocol> make_dhcp6_protocol(ChangeHub& hub, store::JournalReader& reader, Dhcp6ProtocolOptions options,
                                                   std::function<std::int64_t()> now) {
  return std::make_unique<Dhcp6Protocol>(hub, reader, std::move(options), std::move(now));
}

}  // namespace leasehold::leasequery
