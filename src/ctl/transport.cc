#include "ctl/transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/base64.h"

namespace leasehold::ctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

Error unreachable(const std::string& where, const std::string& why) {
  return make_error(Errc::unavailable, where + ": " + why);
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) == 1;
}

}  // namespace

Result<std::string> send_unix(const std::string& path, const std::string& command, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return unreachable(path, "path too long for a UNIX socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unreachable(path, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return unreachable(path, std::strerror(errno));
  for (std::size_t done = 0; done < command.size();) {
    if (!wait_for(fd, POLLOUT, deadline)) return unreachable(path, "timed out sending the command");
    ssize_t n = ::send(fd, command.data() + done, command.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return unreachable(path, std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  std::string answer;
  char chunk[65536];
  for (;;) {
    if (!wait_for(fd, POLLIN, deadline)) return unreachable(path, "timed out waiting for the answer");
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unreachable(path, std::strerror(errno));
    if (n == 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  if (answer.empty()) return unreachable(path, "the server closed without answering");
  return answer;
}

Result<HttpTarget> parse_url(const std::string& url) {
  HttpTarget t;
  std::string rest;
  if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0) {
    t.tls = true;
    rest = url.substr(8);
  } else {
    return make_error(Errc::invalid_argument, "URL must start with http:// or https://: " + url);
  }
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    t.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  std::string hostport = rest;
  if (!hostport.empty() && hostport[0] == '[') {  // [v6]:port
    auto close = hostport.find(']');
    if (close == std::string::npos) return make_error(Errc::invalid_argument, "bad IPv6 host in " + url);
    t.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') t.port = hostport.substr(close + 2);
  } else {
    auto colon = hostport.rfind(':');
    t.host = hostport.substr(0, colon);
    if (colon != std::string::npos) t.port = hostport.substr(colon + 1);
  }
  if (t.host.empty()) return make_error(Errc::invalid_argument, "no host in " + url);
  if (t.port.empty()) t.port = t.tls ? "443" : "80";
  return t;
}

namespace {

template <class Stream>
Result<std::string> exchange(Stream& stream, const HttpTarget& t, const std::string& command, const HttpOptions& o,
                             const std::string& where) {
  http::request<http::string_body> req{http::verb::post, t.path, 11};
  req.set(http::field::host, t.host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::user_agent, "leaseholdctl");
  if (!o.user.empty()) {
    std::string pair = o.user + ":" + o.password;
    req.set(http::field::authorization, "Basic " + base64_encode({reinterpret_cast<const std::uint8_t*>(pair.data()), pair.size()}));
  }
  req.body() = command;
  req.prepare_payload();
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return unreachable(where, ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1024ull * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) return unreachable(where, ec.message());
  auto res = parser.release();
  if (res.result() != http::status::ok)
    return unreachable(where, "HTTP " + std::to_string(res.result_int()) + ": " + res.body());
  return res.body();
}

}  // namespace

Result<std::string> send_http(const HttpTarget& t, const std::string& command, const HttpOptions& o) {
  const std::string where = std::string(t.tls ? "https://" : "http://") + t.host + ":" + t.port;
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(t.host, t.port);
    if (!t.tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(o.timeout);
      stream.connect(endpoints);
      return exchange(stream, t, command, o, where);
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    if (o.insecure) {
      ctx.set_verify_mode(asio::ssl::verify_none);
    } else {
      ctx.set_verify_mode(asio::ssl::verify_peer);
      if (o.ca_file.empty()) ctx.set_default_verify_paths();
      else ctx.load_verify_file(o.ca_file);
    }
    if (!o.cert_file.empty()) {
      ctx.use_certificate_chain_file(o.cert_file);
      ctx.use_private_key_file(o.key_file.empty() ? o.cert_file : o.key_file, asio::ssl::context::pem);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    if (!o.insecure) stream.set_verify_callback(asio::ssl::host_name_verification(t.host));
    SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str());
    beast::get_lowest_layer(stream).expires_after(o.timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(asio::ssl::stream_base::client);
    return exchange(stream, t, command, o, where);
  } catch (const boost::system::system_error& e) {
    return unreachable(where, e.code().message());
  }
}

}  // namespace leasehold::ctl
