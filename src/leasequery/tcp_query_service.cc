#include "leasequery/tcp_query_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace leasehold::leasequery {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kOutboxLimit = 256 * 1024;  // bytes queued before a sender waits
constexpr auto kForever = std::chrono::hours(24);
}  // namespace

net::Address to_net_address(const asio::ip::address& a) {
  if (a.is_v4()) return net::Address::v4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return net::Address::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  return net::Address::v6_bytes(v6.to_bytes());
}

QueryConnection::QueryConnection(tcp::socket socket, std::string requester, std::chrono::seconds send_timeout)
    : socket_(std::move(socket)), requester_(std::move(requester)), send_timeout_(send_timeout),
      drained_(socket_.get_executor()), send_timer_(socket_.get_executor()) {}

asio::io_context& QueryConnection::context() {
  return static_cast<asio::io_context&>(socket_.get_executor().context());
}

void QueryConnection::close() {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  drained_.cancel();
  send_timer_.cancel();
}

asio::awaitable<bool> QueryConnection::send(Bytes frame) {
  if (!open_) co_return false;
  outbox_bytes_ += frame.size();
  outbox_.push_back(std::move(frame));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
  }
  while (open_ && outbox_bytes_ > kOutboxLimit) {
    drained_.expires_after(kForever);
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return open_;
}

asio::awaitable<void> QueryConnection::flush() {
  while (open_ && writing_) {
    drained_.expires_after(kForever);
    boost::system::error_code ec;
    co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

bool QueryConnection::write_now(const Bytes& frame) {
  if (!open_ || writing_) return false;
  boost::system::error_code ec;
  socket_.non_blocking(false, ec);
  asio::write(socket_, asio::buffer(frame), ec);
  return !ec;
}

asio::awaitable<void> QueryConnection::write_loop(std::shared_ptr<QueryConnection> self) {
  while (self->open_ && !self->outbox_.empty()) {
    Bytes frame = std::move(self->outbox_.front());
    self->outbox_.pop_front();
    self->send_timer_.expires_after(self->send_timeout_);
    self->send_timer_.async_wait([weak = std::weak_ptr(self)](boost::system::error_code ec) {
      if (ec) return;
      if (auto c = weak.lock()) {
        spdlog::info("leasequery: requestor {} stopped reading for {} s: dropped", c->requester_, c->send_timeout_.count());
        c->close();
      }
    });
    boost::system::error_code ec;
    co_await asio::async_write(self->socket_, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
    self->send_timer_.cancel();
    self->outbox_bytes_ -= frame.size();
    self->drained_.cancel();
    if (ec) self->close();
  }
  self->writing_ = false;
  self->drained_.cancel();
}

// A connection as the service tracks it: the queries running on it.
struct TcpQueryService::Session {
  explicit Session(std::shared_ptr<QueryConnection> c) : conn(std::move(c)), slot_free(conn->socket().get_executor()) {}
  std::shared_ptr<QueryConnection> conn;
  std::uint32_t running = 0;
  std::vector<std::uint32_t> active_xids;
  asio::steady_timer slot_free;  // cancelled when a query ends
};

TcpQueryService::TcpQueryService(asio::io_context& io, TcpQueryOptions options, std::unique_ptr<QueryProtocol> protocol)
    : io_(io), options_(std::move(options)), protocol_(std::move(protocol)) {}

TcpQueryService::~TcpQueryService() = default;

bool TcpQueryService::allowed(const asio::ip::address& a) const {
  net::Address peer = to_net_address(a);
  for (const auto& p : options_.requesters)
    if (p.contains(peer)) return true;
  return false;
}

Status TcpQueryService::start() {
  const std::string where = "[" + options_.address + "]:" + std::to_string(options_.port);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return make_error(Errc::invalid_argument, std::string(protocol_->name()) + " leasequery: bad address " + options_.address);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint endpoint(address, options_.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::io, std::string(protocol_->name()) + " leasequery on " + where + ": " + ec.message());
  acceptor_ = std::move(acceptor);
  running_ = true;
  asio::co_spawn(io_, accept_loop(), asio::detached);
  spdlog::info("{} leasequery (bulk and active) on [{}]:{}", protocol_->name(), options_.address, port());
  return {};
}

std::uint16_t TcpQueryService::port() const {
  boost::system::error_code ec;
  return acceptor_ ? acceptor_->local_endpoint(ec).port() : 0;
}

asio::awaitable<void> TcpQueryService::accept_loop() {
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
    // The drafts' security sections: requestors not configured are closed at once.
    if (!allowed(remote.address())) {
      spdlog::info("leasequery: {} connection from {} refused: not a configured requester", protocol_->name(), who);
      socket.close(ec);
      continue;
    }
    if (per_requester_[who] >= options_.max_requester_connections) {
      spdlog::info("leasequery: {} connection from {} refused: {} connections already open", protocol_->name(), who,
                   per_requester_[who]);
      socket.close(ec);
      continue;
    }
    ++per_requester_[who];
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    auto session = std::make_shared<Session>(std::make_shared<QueryConnection>(std::move(socket), who, options_.send_timeout));
    sessions_.push_back(session);
    asio::co_spawn(io_, serve(session), [this, who](std::exception_ptr) {
      if (--per_requester_[who] == 0) per_requester_.erase(who);
    });
  }
}

// Reads messages and runs each query as its own coroutine, at most max_concurrent_queries
// at once (reading stops until one ends).
asio::awaitable<void> TcpQueryService::serve(std::shared_ptr<Session> session) {
  auto& conn = session->conn;
  FrameReader frames;
  std::array<std::uint8_t, 4096> buffer;
  asio::steady_timer receive_deadline(conn->socket().get_executor());
  while (conn->open()) {
    // A requestor with nothing running must send a whole query within the receive timeout.
    if (session->running == 0) {
      receive_deadline.expires_after(options_.receive_timeout);
      receive_deadline.async_wait([weak = std::weak_ptr(session)](boost::system::error_code ec) {
        if (auto s = weak.lock(); s && !ec && s->running == 0) s->conn->close();
      });
    }
    boost::system::error_code ec;
    std::size_t n = co_await conn->socket().async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    receive_deadline.cancel();
    if (ec) break;  // the requestor closed (or we did)
    frames.feed(std::span<const std::uint8_t>(buffer.data(), n));
    for (;;) {
      auto body = frames.next();
      if (!body) {
        conn->close();  // the framing is lost: nothing sensible can follow
        break;
      }
      if (!body->has_value()) break;
      auto query = co_await protocol_->start(conn, std::move(**body));
      if (!query) continue;
      while (conn->open() && session->running >= options_.max_concurrent_queries) {
        session->slot_free.expires_after(kForever);
        co_await session->slot_free.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!conn->open()) break;
      ++session->running;
      if (query->active) session->active_xids.push_back(query->xid);
      asio::co_spawn(conn->socket().get_executor(), std::move(query->run), [session, xid = query->xid](std::exception_ptr) {
        --session->running;
        std::erase(session->active_xids, xid);
        session->slot_free.cancel();
      });
    }
  }
  conn->close();
  session->slot_free.cancel();
}

void TcpQueryService::stop() {
  if (!running_) return;
  running_ = false;
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (auto& weak : sessions_) {
    auto session = weak.lock();
    if (!session || !session->conn->open()) continue;
    // Best effort: the end of each active query goes out if the socket takes it now.
    for (std::uint32_t xid : session->active_xids) session->conn->write_now(protocol_->terminated(xid));
    session->conn->close();
  }
  sessions_.clear();
}

}  // namespace leasehold::leasequery
