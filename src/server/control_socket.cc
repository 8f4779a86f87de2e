#include "server/control_socket.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/envelope.h"

namespace leasehold::server {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using boost::system::error_code;

struct ControlSocket::Connection {
  explicit Connection(local::socket s) : socket(std::move(s)), deadline(socket.get_executor()) {}
  local::socket socket;
  asio::steady_timer deadline;
  bool timed_out = false;
  bool writing = false;  // a deadline while writing closes; while reading it only cancels
};

namespace {

// Read at least this much at a time, and as much again as is buffered: the buffer grows
// geometrically, so rescanning it after each read stays linear in the command's size.
constexpr std::size_t kMinRead = 64 * 1024;

Error system_error(const std::string& what, int err) {
  return make_error(Errc::io, what + ": " + std::strerror(err));
}

// A socket file left behind by a server that died is removed; one a live server listens
// on, or anything that is not a socket, is left alone and refused.
Status clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? Status{} : Status(system_error("control-socket " + path, errno));
  if (!S_ISSOCK(st.st_mode))
    return make_error(Errc::conflict, "control-socket " + path + ": exists and is not a socket");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return system_error("control-socket " + path, errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), std::min(path.size(), sizeof addr.sun_path - 1));
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(fd);
  if (rc == 0) return make_error(Errc::conflict, "control-socket " + path + ": another server is listening on it");
  if (err != ECONNREFUSED) return system_error("control-socket " + path, err);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("control-socket " + path, errno);
  spdlog::info("control socket: removed stale {}", path);
  return {};
}

// Kea's answer to a command that did not arrive whole in time (command_mgr.cc).
std::string timeout_text(std::size_t partial_bytes) {
  std::string text = "Connection over control channel timed out";
  if (partial_bytes > 0) text += ", discarded partial command of " + std::to_string(partial_bytes) + " bytes";
  return text;
}

}  // namespace

CommandRunner runner_for(const control::Dispatcher& dispatcher) {
  return [&dispatcher](std::string text) -> asio::awaitable<std::string> { co_return dispatcher.handle(text); };
}

ControlSocket::ControlSocket(asio::io_context& io, CommandRunner runner,
                             std::chrono::milliseconds timeout)
    : io_(io), runner_(std::move(runner)), timeout_(timeout) {}

ControlSocket::~ControlSocket() {
  stop_accepting();
  close_all();
}

Status ControlSocket::start(const std::string& path) {
  if (auto st = clear_stale_socket(path); !st) return st;
  auto acceptor = std::make_unique<local::acceptor>(io_);
  error_code ec;
  acceptor->open(local(), ec);
  if (!ec) {
    // The file is created by bind(); a umask is the only way to have it 0600 from the
    // start, with no moment in which others could connect. Nothing else creates files
    // on other threads yet (the store thread and the workers start later).
    mode_t old = ::umask(0177);
    acceptor->bind(local::endpoint(path), ec);
    ::umask(old);
  }
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::io, "control-socket " + path + ": " + ec.message());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) file_id_ = std::make_pair(st.st_dev, st.st_ino);
  path_ = path;
  acceptor_ = std::move(acceptor);
  accepting_ = true;
  spdlog::info("control socket: {} (mode 0600)", path_);
  asio::co_spawn(io_, accept_loop(), asio::detached);
  return {};
}

void ControlSocket::stop_accepting() {
  accepting_ = false;
  if (acceptor_) {
    error_code ec;
    acceptor_->close(ec);
  }
  remove_socket_file();
}

// Only the file this server bound: another server may have taken the path since.
void ControlSocket::remove_socket_file() {
  if (!file_id_) return;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && std::make_pair(st.st_dev, st.st_ino) == *file_id_) ::unlink(path_.c_str());
  file_id_.reset();
}

void ControlSocket::close_all() {
  for (auto& weak : connections_)
    if (auto conn = weak.lock()) {
      error_code ec;
      conn->socket.close(ec);
      conn->deadline.cancel();
    }
  connections_.clear();
}

asio::awaitable<void> ControlSocket::accept_loop() {
  asio::steady_timer pause(io_);
  while (accepting_) {
    error_code ec;
    local::socket socket = co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !accepting_) break;
    if (ec) {
      // Out of descriptors or similar: do not spin; try again shortly.
      spdlog::warn("control socket: accept failed: {}", ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto conn = std::make_shared<Connection>(std::move(socket));
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    connections_.push_back(conn);
    asio::co_spawn(io_, serve(std::move(conn)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("control socket: connection failed: {}", ex.what());
      }
    });
  }
}

// One deadline for the whole command (a client trickling bytes cannot hold a connection
// longer), and one more for writing the answer.
void ControlSocket::arm_deadline(const std::shared_ptr<Connection>& conn) {
  conn->deadline.expires_after(timeout_);
  conn->deadline.async_wait([weak = std::weak_ptr<Connection>(conn)](error_code ec) {
    auto c = weak.lock();
    if (ec || !c) return;
    c->timed_out = true;
    error_code ignored;
    // Reading: cancel, so that the timeout answer can still be written. Writing: give up.
    if (c->writing) c->socket.close(ignored);
    else c->socket.cancel(ignored);
  });
}

asio::awaitable<void> ControlSocket::serve(std::shared_ptr<Connection> conn) {
  std::string buffer;
  arm_deadline(conn);
  for (;;) {
    control::CommandScan scan = control::scan_command(buffer);
    if (scan.status == control::ScanStatus::complete) {
      ++in_flight_;
      buffer.resize(scan.length);
      std::string response = co_await runner_(std::move(buffer));
      std::string().swap(buffer);  // a multi-megabyte command need not live on while writing
      co_await reply(*conn, response);
      --in_flight_;
      break;
    }
    if (scan.status == control::ScanStatus::invalid) {
      co_await reply(*conn, control::format_response(control::answer(control::ResultCode::error, scan.message)));
      break;
    }
    std::size_t old = buffer.size();
    buffer.resize(old + std::max(kMinRead, old));
    error_code ec;
    std::size_t n = co_await conn->socket.async_read_some(asio::buffer(buffer.data() + old, buffer.size() - old),
                                                          asio::redirect_error(asio::use_awaitable, ec));
    buffer.resize(old + n);
    if (ec) {
      // End of stream before a whole command: nothing to answer (Kea closes too).
      if (conn->timed_out) {
        spdlog::debug("control socket: no whole command within {} ms ({} bytes), timed out", timeout_.count(), old);
        co_await reply(*conn, control::format_response(control::answer(control::ResultCode::error, timeout_text(old))));
      }
      break;
    }
  }
  error_code ec;
  conn->deadline.cancel();
  conn->socket.close(ec);
}

asio::awaitable<void> ControlSocket::reply(Connection& conn, const std::string& response) {
  conn.writing = true;
  conn.timed_out = false;
  conn.deadline.expires_after(timeout_);
  conn.deadline.async_wait([&conn](error_code ec) {
    if (ec) return;
    error_code ignored;
    conn.socket.close(ignored);
  });
  error_code ec;
  co_await asio::async_write(conn.socket, asio::buffer(response), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) spdlog::debug("control socket: answer not written: {}", ec.message());
  conn.deadline.cancel();
  conn.writing = false;
}

}  // namespace leasehold::server
