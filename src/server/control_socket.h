// ControlSocket: the control API's UNIX stream socket, as Kea's: one command per
// connection (read until scan_command() sees one whole JSON value, dispatch, write the
// answer, close), no size limit, and Kea's timeout answer for a command that does not
// arrive whole in time. Owns the socket file: created 0600, a stale one removed at start
// (but never one another server still listens on), removed at stop. Runs on the server's
// main event loop; the dispatcher's handlers therefore run on that thread.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "control/dispatcher.h"

namespace leasehold::server {

// Runs one command text to its answer text. The server's runner dispatches the command
// and then waits until the changes it made are durable (so no answer promises more than
// the store holds); tests may pass the dispatcher alone (runner_for).
using CommandRunner = std::function<boost::asio::awaitable<std::string>(std::string command_text)>;
CommandRunner runner_for(const control::Dispatcher& dispatcher);

// Kea waits this long for a whole command (TIMEOUT_DHCP_SERVER_RECEIVE_COMMAND).
inline constexpr std::chrono::milliseconds kControlCommandTimeout{10'000};

class ControlSocket {
 public:
  ControlSocket(boost::asio::io_context& io, CommandRunner runner,
                std::chrono::milliseconds timeout = kControlCommandTimeout);
  ~ControlSocket();
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Binds `path` (mode 0600) and starts accepting. Fails, touching nothing, if the path is
  // held by a listening server or is not a socket.
  Status start(const std::string& path);
  // Stops accepting and removes the socket file (if it is still ours). Connections that
  // already hold a command finish it.
  void stop_accepting();
  void close_all();
  // Commands received whole and not yet answered.
  std::size_t in_flight() const { return in_flight_; }
  const std::string& path() const { return path_; }

 private:
  struct Connection;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
  boost::asio::awaitable<void> reply(Connection& conn, const std::string& response);
  void arm_deadline(const std::shared_ptr<Connection>& conn);
  void remove_socket_file();

  boost::asio::io_context& io_;
  CommandRunner runner_;
  std::chrono::milliseconds timeout_;
  std::string path_;
  std::optional<std::pair<dev_t, ino_t>> file_id_;  // the file we bound, to remove only it
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::size_t in_flight_ = 0;
  bool accepting_ = false;
};

}  // namespace leasehold::server
