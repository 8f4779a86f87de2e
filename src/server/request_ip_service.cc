#include "server/request_ip_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "wgdyn/frame.h"
#include "wgdyn/request.h"
#include "wgdyn/response.h"

namespace leasehold::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

using SteadyTime = std::chrono::steady_clock::time_point;

struct RequestIpService::Connection {
  Connection(tcp::socket s, tcp::endpoint r) : socket(std::move(s)), remote(r) {}
  tcp::socket socket;
  tcp::endpoint remote;
  // Closed by sweep_idle() once this passes: set while reading a request or writing an
  // answer, lifted (max) while the server itself is busy with the request.
  SteadyTime deadline = SteadyTime::max();
  bool timed_out = false;
};

namespace {

net::Address to_address(const asio::ip::address& a) {
  if (a.is_v4()) return net::Address::v4(a.to_v4().to_uint());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return net::Address::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  return net::Address::v6_bytes(v6.to_bytes());
}

lease::FamilyAsk to_ask(const wgdyn::FamilyRequest& f) {
  lease::FamilyAsk ask;
  ask.hint = f.hint;
  switch (f.want) {
    case wgdyn::Want::keep_or_any: ask.intent = lease::Intent::keep_or_any; break;
    case wgdyn::Want::hint: ask.intent = lease::Intent::hint; break;
    case wgdyn::Want::release: ask.intent = lease::Intent::release; break;
  }
  return ask;
}

wgdyn::Outcome to_wire(lease::Outcome o) {
  switch (o) {
    case lease::Outcome::granted:
    case lease::Outcome::released: return wgdyn::Outcome::granted;
    case lease::Outcome::out_of_addresses: return wgdyn::Outcome::out_of_addresses;
    case lease::Outcome::chosen_unavailable: return wgdyn::Outcome::chosen_unavailable;
  }
  return wgdyn::Outcome::internal_error;
}

}  // namespace

RequestIpCounters::RequestIpCounters(stats::Registry& r)
    : connections(r.get("request-ip-connections")),
      received(r.get("request-ip-received")),
      granted(r.get("request-ip-granted")),
      released(r.get("request-ip-released")),
      refused_out_of_addresses(r.get("request-ip-refused-out-of-addresses")),
      refused_chosen_unavailable(r.get("request-ip-refused-chosen-unavailable")),
      refused_malformed(r.get("request-ip-refused-malformed")),
      refused_unknown_peer(r.get("request-ip-refused-unknown-peer")),
      refused_source_port(r.get("request-ip-refused-source-port")),
      refused_connection_cap(r.get("request-ip-refused-connection-cap")),
      refused_store_failure(r.get("request-ip-refused-store-failure")),
      idle_timeouts(r.get("request-ip-idle-timeouts")) {}

RequestIpService::RequestIpService(asio::io_context& io, lease::Engine& engine, std::mutex& engine_mutex,
                                   Persister& persister, std::size_t persister_loop,
                                   std::atomic<std::size_t>& open_connections, RequestIpCounters& counters,
                                   AfterRequest after_request)
    : io_(io),
      engine_(engine),
      engine_mutex_(engine_mutex),
      persister_(persister),
      persister_loop_(persister_loop),
      after_request_(std::move(after_request)),
      open_connections_(open_connections),
      stats_(counters) {}

Status RequestIpService::start(const RequestIpConfig& config, std::shared_ptr<const lease::PeerDirectory> peers,
                               bool reuse_port) {
  config_ = config;
  peers_ = std::move(peers);
  std::vector<std::unique_ptr<tcp::acceptor>> bound;
  for (const auto& ep : config.listen) {
    error_code ec;
    asio::ip::address addr;
    if (ep.address.is_v4()) {
      addr = asio::ip::address_v4(ep.address.v4_value());
    } else {
      asio::ip::address_v6 a6(ep.address.v6_bytes());
      if (!ep.zone.empty()) {
        unsigned index = if_nametoindex(ep.zone.c_str());
        if (index == 0) return make_error(Errc::unavailable, "listen " + ep.to_string() + ": no interface " + ep.zone);
        a6.scope_id(index);
      }
      addr = a6;
    }
    tcp::endpoint endpoint(addr, ep.port);
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && reuse_port)
      acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (!ec && endpoint.protocol() == tcp::v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error(Errc::io, "listen " + ep.to_string() + ": " + ec.message());
    bound.push_back(std::move(acceptor));
  }
  acceptors_ = std::move(bound);
  accepting_ = true;
  sweeper_ = std::make_unique<asio::steady_timer>(io_);
  sweep_idle();
  for (auto& a : acceptors_) {
    spdlog::info("request_ip: listening on {}", a->local_endpoint().address().to_string() + ":" +
                                                    std::to_string(a->local_endpoint().port()));
    asio::co_spawn(io_, accept_loop(*a), asio::detached);
  }
  return {};
}

void RequestIpService::reconfigure(const RequestIpConfig& config, std::shared_ptr<const lease::PeerDirectory> peers) {
  auto listen = config_.listen;
  config_ = config;
  config_.listen = listen;  // sockets stay bound; a change of listeners needs a restart
  peers_ = std::move(peers);
}

std::vector<tcp::endpoint> RequestIpService::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& a : acceptors_) out.push_back(a->local_endpoint());
  return out;
}

void RequestIpService::stop_accepting() {
  accepting_ = false;
  for (auto& a : acceptors_) {
    error_code ec;
    a->close(ec);
  }
}

void RequestIpService::close_all() {
  for (auto& weak : connections_)
    if (auto conn = weak.lock()) {
      error_code ec;
      conn->socket.close(ec);
    }
  connections_.clear();
  if (sweeper_) sweeper_->cancel();
}

asio::awaitable<void> RequestIpService::accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer pause(io_);
  while (accepting_) {
    error_code ec;
    tcp::endpoint remote;  // filled by accept itself: no getpeername() per connection
    tcp::socket socket = co_await acceptor.async_accept(remote, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !accepting_) break;
    if (ec) {
      // Out of descriptors or similar: do not spin; try again shortly.
      spdlog::warn("request_ip: accept failed: {}", ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    stats_.connections.add(1);
    if (open_connections_.fetch_add(1) >= config_.max_connections) {
      open_connections_.fetch_sub(1);
      stats_.refused_connection_cap.add(1);
      spdlog::debug("request_ip: connection cap {} reached, refusing", config_.max_connections);
      socket.close(ec);
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(socket), remote);
    connections_.push_back(conn);
    asio::co_spawn(io_, serve(std::move(conn)), [this](std::exception_ptr e) {
      open_connections_.fetch_sub(1);
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("request_ip: connection failed: {}", ex.what());
        }
      }
    });
  }
}

void RequestIpService::sweep_idle() {
  auto now = std::chrono::steady_clock::now();
  for (auto& weak : connections_)
    if (auto conn = weak.lock(); conn && conn->deadline <= now && conn->socket.is_open()) {
      conn->timed_out = true;
      error_code ignored;
      conn->socket.close(ignored);  // the connection's pending read or write ends with an error
    }
  std::erase_if(connections_, [](const auto& w) { return w.expired(); });
  // A quarter of the timeout, between 250 ms and 1 s: deadlines hold to within that.
  auto period = std::clamp(std::chrono::milliseconds(config_.idle_timeout_seconds * 250), std::chrono::milliseconds(250),
                           std::chrono::milliseconds(1000));
  sweeper_->expires_after(period);
  sweeper_->async_wait([this](error_code ec) {
    if (!ec && accepting_) sweep_idle();
  });
}

asio::awaitable<void> RequestIpService::serve(std::shared_ptr<Connection> conn) {
  error_code ec;
  const tcp::endpoint& remote = conn->remote;
  net::Address source = to_address(remote.address());
  if (config_.require_source_port != 0 && remote.port() != config_.require_source_port) {
    stats_.refused_source_port.add(1);
    spdlog::warn("request_ip: refused {} port {}: source port must be {}", source.to_string(), remote.port(),
                 config_.require_source_port);
    co_return;
  }
  auto key = peers_ ? peers_->find(source) : std::nullopt;
  if (!key) {
    stats_.refused_unknown_peer.add(1);
    spdlog::warn("request_ip: refused {}: not a known peer", source.to_string());
    co_return;
  }

  std::string buffer;
  std::array<char, 4096> chunk;
  // One deadline per message, not per read: a client trickling bytes cannot hold a
  // connection longer than idle-timeout per request.
  bool deadline_armed = false;
  int requests_here = 0;
  for (;;) {
    wgdyn::FrameResult frame = wgdyn::find_message(buffer);
    if (frame.is_error()) {
      stats_.refused_malformed.add(1);
      co_await send(*conn, wgdyn::format_response(wgdyn::reject(frame.status)));
      break;
    }
    if (frame.is_complete()) {
      conn->deadline = SteadyTime::max();
      deadline_armed = false;
      // A client that sends more than one request may pipeline them: from the second on,
      // answers must not wait for Nagle. (The usual single request needs no extra syscall.)
      if (++requests_here == 2) conn->socket.set_option(tcp::no_delay(true), ec);
      ++in_flight_;
      bool keep_open = co_await answer(*conn, *key, std::string_view(buffer).substr(0, frame.length));
      --in_flight_;
      if (!keep_open) break;
      buffer.erase(0, frame.length);
      continue;
    }
    if (!deadline_armed) {
      conn->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.idle_timeout_seconds);
      deadline_armed = true;
    }
    std::size_t n = co_await conn->socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (conn->timed_out) {
        stats_.idle_timeouts.add(1);
        spdlog::debug("request_ip: {}: no complete request within {} s, closed", source.to_string(),
                      config_.idle_timeout_seconds);
      }
      break;
    }
    buffer.append(chunk.data(), n);
  }
  conn->socket.close(ec);
}

asio::awaitable<bool> RequestIpService::answer(Connection& conn, const lease::PublicKey& key, std::string_view message) {
  stats_.received.add(1);
  const auto received_at = std::chrono::steady_clock::now();
  auto parsed = wgdyn::parse_request(message);
  if (!parsed) {
    stats_.refused_malformed.add(1);
    co_await send(conn, wgdyn::format_response(wgdyn::reject(parsed.error())));
    co_return false;
  }
  lease::LeaseRequest req;
  req.key = key;
  req.v4 = to_ask(parsed->v4);
  req.v6 = to_ask(parsed->v6);
  req.lease_seconds = parsed->leasetime_seconds;
  req.hint_must_be_held = parsed->format == wgdyn::Format::upstream;

  std::uint64_t before, after;
  lease::LeaseReply reply;
  std::optional<std::int64_t> next_deadline;
  {
    // Changes are published (and numbered) under the same lock, so [before, after] are
    // exactly this request's changes.
    std::lock_guard lock(engine_mutex_);
    Persister::Group atomic(persister_);  // IPv4 and IPv6 changes commit together
    before = persister_.last_sequence();
    reply = engine_.request(req);
    after = persister_.last_sequence();
    next_deadline = engine_.next_deadline();
  }
  if (after_request_) after_request_(next_deadline);

  wgdyn::Response resp;
  resp.format = parsed->format;
  resp.outcome = to_wire(reply.outcome);
  // Nothing is acknowledged before it is durable.
  if (after > before && !co_await persister_.wait_durable(persister_loop_, after)) {
    stats_.refused_store_failure.add(1);
    resp.outcome = wgdyn::Outcome::internal_error;
    resp.errmsg = "lease store failure";
  } else if (reply.outcome == lease::Outcome::granted || reply.outcome == lease::Outcome::released) {
    (reply.outcome == lease::Outcome::granted ? stats_.granted : stats_.released).add(1);
    resp.ipv4 = reply.v4;
    resp.ipv6 = reply.v6;
    resp.leasestart = static_cast<std::uint64_t>(reply.lease_start);
    resp.leasetime_seconds = reply.lease_seconds;
    if (response_extras_ && reply.outcome == lease::Outcome::granted) response_extras_(key, reply, resp.extra);
  } else {
    (reply.outcome == lease::Outcome::chosen_unavailable ? stats_.refused_chosen_unavailable
                                                         : stats_.refused_out_of_addresses).add(1);
  }
  bool sent = co_await send(conn, wgdyn::format_response(resp));
  if (resp.outcome == wgdyn::Outcome::granted && reply.outcome == lease::Outcome::granted)
    stats_.grant_latency.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - received_at).count());
  co_return sent;
}

asio::awaitable<bool> RequestIpService::send(Connection& conn, const std::string& bytes) {
  // Answers are small and the socket's buffer is nearly always free: try one plain
  // non-blocking send first, and go through the event loop only for what is left.
  ssize_t sent = ::send(conn.socket.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent == static_cast<ssize_t>(bytes.size())) co_return true;
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
  std::size_t done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
  // A client that does not read its answer is cut off at the idle deadline.
  conn.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.idle_timeout_seconds);
  error_code ec;
  co_await asio::async_write(conn.socket, asio::buffer(bytes.data() + done, bytes.size() - done),
                             asio::redirect_error(asio::use_awaitable, ec));
  conn.deadline = SteadyTime::max();
  co_return !ec;
}

}  // namespace leasehold::server
