// Dhcp6Service: DHCPv6 bulk (RFC 5460) and active (RFC 7653 draft) leasequery over TCP,
// answering from the journal and the change hub. One event loop (its own thread in the
// server). Requestors outside `requesters` are closed at once; each requester address
// gets at most max_requester_connections connections, each connection at most
// max_concurrent_queries queries at a time. An active query that cannot write for
// send_timeout is dropped; one that has nothing to say for idle_timeout sends a
// LEASEQUERY-DATA holding only the base time. stop() ends active queries with
// LEASEQUERY-DONE QueryTerminated.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "leasequery/change_hub.h"
#include "net/address.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

struct Dhcp6ServiceOptions {
  std::string address = "::1";
  std::uint16_t port = 547;
  std::vector<net::Prefix> requesters;
  std::uint32_t max_requester_connections = 10;
  std::uint32_t max_concurrent_queries = 4;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds send_timeout{120};
  std::chrono::seconds receive_timeout{120};
  std::vector<std::uint8_t> server_duid;
};

class Dhcp6Service {
 public:
  // `now` gives wall-clock Unix seconds (the server's time context for base times).
  Dhcp6Service(boost::asio::io_context& io, ChangeHub& hub, store::JournalReader& reader, Dhcp6ServiceOptions options,
               std::function<std::int64_t()> now);
  ~Dhcp6Service();
  Dhcp6Service(const Dhcp6Service&) = delete;
  Dhcp6Service& operator=(const Dhcp6Service&) = delete;

  Status start();
  // Ends every query (active ones with QueryTerminated) and closes. Run on the loop.
  void stop();
  std::uint16_t port() const;

  struct Connection;

 private:
  boost::asio::awaitable<void> accept_loop();
  bool allowed(const boost::asio::ip::address& a) const;

  boost::asio::io_context& io_;
  ChangeHub& hub_;
  store::JournalReader& reader_;
  Dhcp6ServiceOptions options_;
  std::function<std::int64_t()> now_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::map<std::string, std::uint32_t> per_requester_;  // open connections by address
  std::vector<std::weak_ptr<Connection>> connections_;
  bool running_ = false;
};

}  // namespace leasehold::leasequery
