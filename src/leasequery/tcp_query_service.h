// TcpQueryService: the TCP side that DHCPv6 (RFC 5460 / RFC 7653) and DHCPv4 (RFC 6926 /
// RFC 7724) leasequery share: the listener, the requester allow-list and per-requester
// connection limit, the 2-octet framing, the receive timeout, a per-connection limit of
// queries running at once, an outbox with one writer whose stalls longer than the send
// timeout drop the connection, and the end of every active query at stop(). What a
// message means is the QueryProtocol's business (dhcp6_service.h, dhcp4_service.h).
// Runs on one event loop; stop() must be called on it.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "leasequery/tcp_frame.h"
#include "net/address.h"

namespace leasehold::leasequery {

struct TcpQueryOptions {
  std::string address = "::1";
  std::uint16_t port = 0;
  std::vector<net::Prefix> requesters;
  std::uint32_t max_requester_connections = 10;
  std::uint32_t max_concurrent_queries = 4;
  std::chrono::seconds send_timeout{120};
  std::chrono::seconds receive_timeout{120};
};

// One requestor's connection. Protocols send whole frames through it.
class QueryConnection : public std::enable_shared_from_this<QueryConnection> {
 public:
  QueryConnection(boost::asio::ip::tcp::socket socket, std::string requester, std::chrono::seconds send_timeout);

  // Queues one frame; waits while the requestor is behind on reading. False once closed.
  boost::asio::awaitable<bool> send(Bytes frame);
  // Waits until everything queued is written (or the connection ended).
  boost::asio::awaitable<void> flush();
  void close();
  bool open() const { return open_; }
  const std::string& requester() const { return requester_; }
  boost::asio::io_context& context();

  // For the service: the socket, and writing one frame synchronously at shutdown when no
  // write is under way (whose bytes it would cut into).
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  bool write_now(const Bytes& frame);

 private:
  static boost::asio::awaitable<void> write_loop(std::shared_ptr<QueryConnection> self);

  boost::asio::ip::tcp::socket socket_;
  std::string requester_;
  std::chrono::seconds send_timeout_;
  std::deque<Bytes> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool writing_ = false;
  bool open_ = true;
  boost::asio::steady_timer drained_;     // cancelled after every write: waiting senders look again
  boost::asio::steady_timer send_timer_;  // a write that does not finish in send_timeout closes
};

// A leasequery protocol: reads one message, starts a query or answers an error.
class QueryProtocol {
 public:
  virtual ~QueryProtocol() = default;
  virtual const char* name() const = 0;  // "DHCPv6", for logs

  struct Query {
    std::uint32_t xid = 0;
    bool active = false;  // ended with terminated() at stop()
    boost::asio::awaitable<void> run;
  };
  // One message body. A malformed one is answered here (closing the connection if the
  // protocol says so) and nothing is returned.
  virtual boost::asio::awaitable<std::optional<Query>> start(std::shared_ptr<QueryConnection> conn, Bytes body) = 0;
  // The frame that tells a requestor the server ended its active query.
  virtual Bytes terminated(std::uint32_t xid) = 0;
};

class TcpQueryService {
 public:
  TcpQueryService(boost::asio::io_context& io, TcpQueryOptions options, std::unique_ptr<QueryProtocol> protocol);
  ~TcpQueryService();
  TcpQueryService(const TcpQueryService&) = delete;
  TcpQueryService& operator=(const TcpQueryService&) = delete;

  Status start();
  // Ends every query (active ones with the protocol's terminated()) and closes. On the loop.
  void stop();
  std::uint16_t port() const;

 private:
  struct Session;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Session> session);
  bool allowed(const boost::asio::ip::address& a) const;

  boost::asio::io_context& io_;
  TcpQueryOptions options_;
  std::unique_ptr<QueryProtocol> protocol_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::map<std::string, std::uint32_t> per_requester_;  // open connections by address
  std::vector<std::weak_ptr<Session>> sessions_;
  bool running_ = false;
};

net::Address to_net_address(const boost::asio::ip::address& a);

}  // namespace leasehold::leasequery
