// RequestIpService: the request_ip TCP listeners and their connections. Each connection is
// one coroutine: frame, parse, ask the engine, wait until the change is durable, answer.
// Enforces the source-port rule, the peer directory, the idle deadline and the connection
// cap. Each service runs on its own event-loop thread (one per request-ip.threads); the
// engine is shared and every call to it holds the engine mutex. Deadlines are a time stamp
// per connection checked by one sweeping timer, so a request costs no timer work.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "lease/engine.h"
#include "lease/peer_directory.h"
#include "server/config.h"
#include "server/persister.h"
#include "stats/statistics.h"

namespace leasehold::server {

// The request_ip statistics (names in docs/control.md), shared by every request thread.
struct RequestIpCounters {
  explicit RequestIpCounters(stats::Registry& r);
  stats::Stat& connections;
  stats::Stat& received;
  stats::Stat& granted;
  stats::Stat& released;
  stats::Stat& refused_out_of_addresses;
  stats::Stat& refused_chosen_unavailable;
  stats::Stat& refused_malformed;
  stats::Stat& refused_unknown_peer;
  stats::Stat& refused_source_port;
  stats::Stat& refused_connection_cap;
  stats::Stat& refused_store_failure;
  stats::Stat& idle_timeouts;
  stats::Histogram grant_latency;  // message complete -> answer sent, for answers that grant
};

class RequestIpService {
 public:
  // Called after each request with the engine's next deadline (to re-arm the expiry timer).
  using AfterRequest = std::function<void(std::optional<std::int64_t> next_deadline)>;

  // `open_connections` is shared by every service of the server: max-connections is a
  // limit for the whole server.
  RequestIpService(boost::asio::io_context& io, lease::Engine& engine, std::mutex& engine_mutex,
                   Persister& persister, std::size_t persister_loop, std::atomic<std::size_t>& open_connections,
                   RequestIpCounters& counters, AfterRequest after_request);

  // Adds lines to a granting answer (options: dns=..., mtu=...). Called on this service's
  // thread, without the engine lock. REQUIRES: before start().
  using ResponseExtras = std::function<void(const lease::PublicKey& key, const lease::LeaseReply& reply,
                                            std::vector<std::pair<std::string, std::string>>& lines)>;
  void set_response_extras(ResponseExtras extras) { response_extras_ = std::move(extras); }

  // Binds every listener (with SO_REUSEPORT when several services share the ports). On
  // error nothing is left listening.
  Status start(const RequestIpConfig& config, std::shared_ptr<const lease::PeerDirectory> peers,
               bool reuse_port = false);
  // Applies reloadable settings (peers, timeouts, caps, source port); listeners stay.
  void reconfigure(const RequestIpConfig& config, std::shared_ptr<const lease::PeerDirectory> peers);
  // Stops accepting. Connections finish their current request and are closed.
  void stop_accepting();
  void close_all();
  std::size_t active_connections() const { return open_connections_.load(); }
  // Requests parsed but not yet answered (waiting for the store, or being written).
  std::size_t in_flight() const { return in_flight_.load(); }
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
  boost::asio::awaitable<bool> answer(Connection& conn, const lease::PublicKey& key, std::string_view message);
  boost::asio::awaitable<bool> send(Connection& conn, const std::string& bytes);
  void sweep_idle();

  boost::asio::io_context& io_;
  lease::Engine& engine_;
  std::mutex& engine_mutex_;
  Persister& persister_;
  std::size_t persister_loop_;
  AfterRequest after_request_;
  RequestIpConfig config_;
  std::shared_ptr<const lease::PeerDirectory> peers_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::unique_ptr<boost::asio::steady_timer> sweeper_;
  std::atomic<std::size_t>& open_connections_;
  std::atomic<std::size_t> in_flight_{0};
  bool accepting_ = false;
  RequestIpCounters& stats_;
  ResponseExtras response_extras_;
};

}  // namespace leasehold::server
