#include "leasequery/dhcp6_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <variant>

#include "leasequery/dhcp6_wire.h"
#include "leasequery/hub_waiter.h"
#include "leasequery/peer_identity.h"

namespace leasehold::leasequery {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using dhcp6::Bytes;

namespace {

constexpr std::size_t kWindow = 4096;                // journal entries read per step
constexpr std::size_t kOutboxLimit = 256 * 1024;     // bytes queued before a query waits

net::Address to_address(const asio::ip::address& a) {
  if (a.is_v4()) return net::Address::v4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return net::Address::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  return net::Address::v6_bytes(v6.to_bytes());
}

dhcp6::Binding binding_of(const lease::LeaseRecord& r, bool live, std::int64_t now) {
  dhcp6::Binding b;
  b.address = r.address.v6_bytes();
  b.duid = duid_of(r.key);
  std::int64_t left = live ? std::max<std::int64_t>(0, r.expires_at() - now) : 0;
  b.valid_lifetime = b.preferred_lifetime = static_cast<std::uint32_t>(std::min<std::int64_t>(left, 0xffffffff));
  b.clt_time = static_cast<std::uint32_t>(std::clamp<std::int64_t>(now - r.cltt, 0, 0xffffffff));
  return b;
}

bool live(const lease::LeaseChange& c) {
  return (c.kind == lease::LeaseChange::Kind::grant || c.kind == lease::LeaseChange::Kind::renew) &&
         c.record.state == lease::LeaseState::assigned;
}

}  // namespace

// One requestor's TCP connection: a reader that starts queries, an outbox with one writer.
struct Dhcp6Service::Connection : std::enable_shared_from_this<Connection> {
  Connection(Dhcp6Service& s, tcp::socket sock, std::string who)
      : service(s), socket(std::move(sock)), requester(std::move(who)), drained(socket.get_executor()),
        send_timer(socket.get_executor()), slot_free(socket.get_executor()) {}

  Dhcp6Service& service;
  tcp::socket socket;
  std::string requester;
  dhcp6::FrameReader frames;
  std::deque<Bytes> outbox;
  std::size_t outbox_bytes = 0;
  bool writing = false;
  bool open = true;
  std::uint32_t running = 0;
  std::vector<std::uint32_t> active_xids;
  asio::steady_timer drained;    // cancelled after every write: waiting queries look again
  asio::steady_timer send_timer; // a write that does not finish in send_timeout closes
  asio::steady_timer slot_free;  // cancelled when a query ends

  void close() {
    if (!open) return;
    open = false;
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    drained.cancel();
    slot_free.cancel();
    send_timer.cancel();
  }

  // Queues one message; waits while the requestor is behind on reading. False once closed.
  asio::awaitable<bool> send(const dhcp6::Message& message) {
    if (!open) co_return false;
    Bytes frame = dhcp6::encode(message);
    outbox_bytes += frame.size();
    outbox.push_back(std::move(frame));
    if (!writing) {
      writing = true;
      asio::co_spawn(socket.get_executor(), write_loop(shared_from_this()), asio::detached);
    }
    while (open && outbox_bytes > kOutboxLimit) {
      drained.expires_after(std::chrono::hours(24));
      boost::system::error_code ec;
      co_await drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return open;
  }

  // Waits until everything queued is written (or the connection ended).
  asio::awaitable<void> flush() {
    while (open && writing) {
      drained.expires_after(std::chrono::hours(24));
      boost::system::error_code ec;
      co_await drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<Connection> self) {
    while (self->open && !self->outbox.empty()) {
      Bytes frame = std::move(self->outbox.front());
      self->outbox.pop_front();
      self->send_timer.expires_after(self->service.options_.send_timeout);
      self->send_timer.async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
        if (ec) return;
        if (auto c = weak.lock()) {
          spdlog::info("leasequery: requestor {} stopped reading for {} s: dropped", c->requester,
                       c->service.options_.send_timeout.count());
          c->close();
        }
      });
      boost::system::error_code ec;
      co_await asio::async_write(self->socket, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
      self->send_timer.cancel();
      self->outbox_bytes -= frame.size();
      self->drained.cancel();
      if (ec) self->close();
    }
    self->writing = false;
    self->drained.cancel();
  }
};

Dhcp6Service::Dhcp6Service(asio::io_context& io, ChangeHub& hub, store::JournalReader& reader, Dhcp6ServiceOptions options,
                           std::function<std::int64_t()> now)
    : io_(io), hub_(hub), reader_(reader), options_(std::move(options)), now_(std::move(now)) {}

Dhcp6Service::~Dhcp6Service() = default;

bool Dhcp6Service::allowed(const asio::ip::address& a) const {
  net::Address peer = to_address(a);
  for (const auto& p : options_.requesters)
    if (p.contains(peer)) return true;
  return false;
}

Status Dhcp6Service::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return make_error(Errc::invalid_argument, "leasequery: bad address " + options_.address);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint endpoint(address, options_.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(Errc::io, "DHCPv6 leasequery on [" + options_.address + "]:" + std::to_string(options_.port) + ": " + ec.message());
  acceptor_ = std::move(acceptor);
  running_ = true;
  asio::co_spawn(io_, accept_loop(), asio::detached);
  spdlog::info("DHCPv6 leasequery (bulk and active) on [{}]:{}", options_.address, port());
  return {};
}

std::uint16_t Dhcp6Service::port() const {
  boost::system::error_code ec;
  return acceptor_ ? acceptor_->local_endpoint(ec).port() : 0;
}

namespace {

// Reads the journal after `cursor` in windows and sends the IPv6 bindings that changed,
// newest state of each only. Returns false when the connection ended.
asio::awaitable<bool> send_changes(Dhcp6Service::Connection& conn, ChangeHub& hub, store::JournalReader& reader,
                                   std::uint32_t xid, std::uint64_t& cursor, const std::function<std::int64_t()>& now,
                                   std::uint64_t upto = UINT64_MAX) {
  for (;;) {
    auto entries = fetch(hub, reader, cursor, kWindow);
    if (!entries) {
      spdlog::warn("leasequery: reading the journal: {}", entries.error().message);
      co_return false;
    }
    if (entries->empty()) co_return true;
    std::uint64_t last = entries->back().revision;
    for (const auto& e : coalesce(std::move(*entries))) {
      if (e.revision > upto) break;
      const auto& r = e.change.record;
      if (r.address.is_v4() || r.key == lease::PublicKey()) continue;
      std::int64_t t = now();
      auto b = binding_of(r, live(e.change), t);
      if (!co_await conn.send(dhcp6::data(xid, &b, dhcp6::absolute_time(t), std::nullopt))) co_return false;
    }
    cursor = std::min(last, upto);
    if (cursor >= upto) co_return true;
  }
}

struct QueryContext {
  Dhcp6Service::Connection& conn;
  ChangeHub& hub;
  store::JournalReader& reader;
  const Dhcp6ServiceOptions& options;
  const std::function<std::int64_t()>& now;
};

bool matches(const dhcp6::Query& q, const lease::LeaseRecord& r) {
  switch (q.query_type) {
    case dhcp6::kByAddress: return q.address && r.address.v6_bytes() == *q.address;
    case dhcp6::kByClientId: {
      auto key = q.client_duid ? peer_of_duid(*q.client_duid) : Result<lease::PublicKey>(make_error(Errc::not_found, ""));
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

// RFC 5460: the bindings now (or those that changed between the start and end times).
asio::awaitable<void> run_bulk(QueryContext ctx, dhcp6::Query q) {
  std::int64_t t = ctx.now();
  std::vector<dhcp6::Binding> found;
  if (q.start_time || q.end_time) {
    std::int64_t start = q.start_time ? dhcp6::unix_time(*q.start_time) : 0;
    std::int64_t end = q.end_time ? dhcp6::unix_time(*q.end_time) : INT64_MAX;
    auto from = ctx.reader.revision_before(start);
    std::vector<store::JournalEntry> changed;
    std::uint64_t cursor = from ? *from : 0;
    while (from) {
      auto page = ctx.reader.read(cursor, kWindow);
      if (!page || page->empty()) break;
      cursor = page->back().revision;
      for (auto& e : *page)
        if (e.change.at <= end && !e.change.record.address.is_v4()) changed.push_back(std::move(e));
    }
    for (const auto& e : coalesce(std::move(changed)))
      if (!(e.change.record.key == lease::PublicKey()) && matches(q, e.change.record))
        found.push_back(binding_of(e.change.record, live(e.change), t));
  } else {
    auto st = ctx.reader.snapshot([&](const lease::LeaseRecord& r) {
      if (!r.address.is_v4() && r.state == lease::LeaseState::assigned && matches(q, r)) found.push_back(binding_of(r, true, t));
    });
    if (!st) {
      co_await ctx.conn.send(dhcp6::reply(q.xid, dhcp6::StatusPair{dhcp6::kUnspecFail, "cannot read leases"}, ctx.options.server_duid,
                                          q.requestor_client_id, dhcp6::absolute_time(t), nullptr));
      co_return;
    }
  }
  const dhcp6::Binding* first = found.empty() ? nullptr : &found.front();
  if (!co_await ctx.conn.send(dhcp6::reply(q.xid, dhcp6::StatusPair{dhcp6::kSuccess, ""}, ctx.options.server_duid,
                                           q.requestor_client_id, dhcp6::absolute_time(t), first)))
    co_return;
  if (found.empty()) co_return;
  for (std::size_t i = 1; i < found.size(); ++i)
    if (!co_await ctx.conn.send(dhcp6::data(q.xid, &found[i], std::nullopt, std::nullopt))) co_return;
  co_await ctx.conn.send(dhcp6::done(q.xid, std::nullopt, std::nullopt));
}

// The draft's active query: a reply, catch-up from the start time if asked (or
// DataMissing), then every change as it is committed, keepalives when idle.
asio::awaitable<void> run_active(QueryContext ctx, dhcp6::Query q) {
  std::int64_t t = ctx.now();
  std::uint64_t cursor = ctx.hub.last_revision();
  std::uint64_t catch_up_to = 0;
  dhcp6::StatusPair status{dhcp6::kSuccess, ""};
  if (q.start_time) {
    auto bounds = ctx.reader.bounds();
    std::int64_t start = dhcp6::unix_time(*q.start_time);
    if (!bounds) {
      status = {dhcp6::kUnspecFail, "cannot read the journal"};
    } else if (bounds->compacted_through > 0 && bounds->compacted_at >= start) {
      status = {dhcp6::kDataMissing, "the journal does not reach back to the start time"};
    } else if (auto from = ctx.reader.revision_before(start); from) {
      catch_up_to = cursor;
      cursor = *from;
    }
  }
  if (!co_await ctx.conn.send(dhcp6::reply(q.xid, status, ctx.options.server_duid, q.requestor_client_id,
                                           dhcp6::absolute_time(t), nullptr)))
    co_return;
  if (status.first == dhcp6::kUnspecFail) {
    ctx.conn.close();
    co_return;
  }
  if (q.start_time && status.first == dhcp6::kSuccess) {
    if (!co_await send_changes(ctx.conn, ctx.hub, ctx.reader, q.xid, cursor, ctx.now, catch_up_to)) co_return;
    if (!co_await ctx.conn.send(dhcp6::data(q.xid, nullptr, dhcp6::absolute_time(ctx.now()),
                                            dhcp6::StatusPair{dhcp6::kCatchUpComplete, ""})))
      co_return;
  }
  HubWaiter waiter(static_cast<asio::io_context&>(ctx.conn.socket.get_executor().context()), ctx.hub);
  while (ctx.conn.open) {
    if (!co_await waiter.wait(cursor, ctx.options.idle_timeout)) {
      if (!ctx.conn.open) break;
      if (ctx.hub.last_revision() <= cursor) {
        if (!co_await ctx.conn.send(dhcp6::data(q.xid, nullptr, dhcp6::absolute_time(ctx.now()), std::nullopt))) break;
        continue;
      }
    }
    if (!co_await send_changes(ctx.conn, ctx.hub, ctx.reader, q.xid, cursor, ctx.now)) break;
  }
}

}  // namespace

asio::awaitable<void> serve(std::shared_ptr<Dhcp6Service::Connection> conn, ChangeHub& hub, store::JournalReader& reader,
                            const Dhcp6ServiceOptions& options, const std::function<std::int64_t()>& now);

asio::awaitable<void> Dhcp6Service::accept_loop() {
  while (running_) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!running_) co_return;
      continue;
    }
    auto remote = socket.remote_endpoint(ec);
    if (ec) continue;
    std::string who = remote.address().to_string();
    // The draft's security section: requestors not configured are closed at once.
    if (!allowed(remote.address())) {
      spdlog::info("leasequery: connection from {} refused: not a configured requester", who);
      socket.close(ec);
      continue;
    }
    if (per_requester_[who] >= options_.max_requester_connections) {
      spdlog::info("leasequery: connection from {} refused: {} connections already open", who, per_requester_[who]);
      socket.close(ec);
      continue;
    }
    ++per_requester_[who];
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    auto conn = std::make_shared<Connection>(*this, std::move(socket), who);
    connections_.push_back(conn);
    asio::co_spawn(io_, serve(conn, hub_, reader_, options_, now_), [this, who](std::exception_ptr) {
      if (--per_requester_[who] == 0) per_requester_.erase(who);
    });
  }
}

// Reads queries and runs each as its own coroutine, at most max_concurrent_queries at once.
asio::awaitable<void> serve(std::shared_ptr<Dhcp6Service::Connection> conn, ChangeHub& hub, store::JournalReader& reader,
                            const Dhcp6ServiceOptions& options, const std::function<std::int64_t()>& now) {
  std::array<std::uint8_t, 4096> buffer;
  asio::steady_timer receive_deadline(conn->socket.get_executor());
  while (conn->open) {
    // A requestor with nothing running must send a whole query within the receive timeout.
    if (conn->running == 0) {
      receive_deadline.expires_after(options.receive_timeout);
      receive_deadline.async_wait([weak = std::weak_ptr(conn)](boost::system::error_code ec) {
        if (auto c = weak.lock(); c && !ec && c->running == 0) c->close();
      });
    }
    boost::system::error_code ec;
    std::size_t n = co_await conn->socket.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    receive_deadline.cancel();
    if (ec) break;  // the requestor closed (or we did)
    conn->frames.feed(std::span<const std::uint8_t>(buffer.data(), n));
    for (;;) {
      auto body = conn->frames.next();
      if (!body) {
        conn->close();  // the framing is lost: nothing sensible can follow
        break;
      }
      if (!body->has_value()) break;
      auto message = dhcp6::decode(**body);
      std::uint32_t xid = (*body)->size() >= 4 ? ((*body)->at(1) << 16 | (*body)->at(2) << 8 | (*body)->at(3)) : 0;
      std::variant<dhcp6::Query, dhcp6::QueryError> parsed =
          message ? dhcp6::parse_query(*message) : std::variant<dhcp6::Query, dhcp6::QueryError>(dhcp6::QueryError{dhcp6::kMalformedQuery, message.error().message});
      std::int64_t t = now();
      if (auto* error = std::get_if<dhcp6::QueryError>(&parsed)) {
        std::optional<Bytes> requestor;
        if (message)
          if (const auto* c = message->find(dhcp6::kOptClientId)) requestor = c->data;
        co_await conn->send(dhcp6::reply(xid, dhcp6::StatusPair{error->status, error->text}, options.server_duid, requestor,
                                         dhcp6::absolute_time(t), nullptr));
        // The draft: close after an error in an active query; a bulk requestor may go on.
        if (!message || message->type == dhcp6::kActiveLeasequery) {
          co_await conn->flush();
          conn->close();
        }
        continue;
      }
      while (conn->open && conn->running >= options.max_concurrent_queries) {
        conn->slot_free.expires_after(std::chrono::hours(24));
        co_await conn->slot_free.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!conn->open) break;
      dhcp6::Query q = std::get<dhcp6::Query>(std::move(parsed));
      ++conn->running;
      if (q.active()) conn->active_xids.push_back(q.xid);
      QueryContext ctx{*conn, hub, reader, options, now};
      auto task = q.active() ? run_active(ctx, q) : run_bulk(ctx, q);
      asio::co_spawn(conn->socket.get_executor(), std::move(task), [conn, xid = q.xid](std::exception_ptr) {
        --conn->running;
        std::erase(conn->active_xids, xid);
        conn->slot_free.cancel();
      });
    }
  }
  conn->close();
}

void Dhcp6Service::stop() {
  if (!running_) return;
  running_ = false;
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (auto& weak : connections_) {
    auto conn = weak.lock();
    if (!conn || !conn->open) continue;
    // Best effort: the DONE goes out if the socket takes it now (and no write is under
    // way, whose bytes it would cut into); then the connection ends.
    for (std::uint32_t xid : conn->writing ? std::vector<std::uint32_t>() : conn->active_xids) {
      Bytes frame = dhcp6::encode(dhcp6::done(xid, dhcp6::StatusPair{dhcp6::kQueryTerminated, "server shutting down"},
                                              dhcp6::absolute_time(now_())));
      boost::system::error_code wec;
      conn->socket.non_blocking(false, wec);
      asio::write(conn->socket, asio::buffer(frame), wec);
    }
    conn->close();
  }
  connections_.clear();
}

}  // namespace leasehold::leasequery
