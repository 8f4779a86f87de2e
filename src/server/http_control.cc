#include "server/http_control.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "control/basic_auth.h"
#include "control/envelope.h"
#include "leasequery/hub_waiter.h"
#include "leasequery/json_stream.h"

namespace leasehold::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

// Between requests of a keep-alive connection, and for a whole request once it has begun.
constexpr auto kIdleTimeout = std::chrono::seconds(30);

std::string_view view(beast::string_view s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Response json_response(http::status status, unsigned version, std::string body) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

// Kea's control agent answers its own errors with {"result": <HTTP status>, "text": ...}.
Response http_error(http::status status, unsigned version) {
  std::string text(view(http::obsolete_reason(status)));
  return json_response(status, version,
                       "{ \"result\": " + std::to_string(static_cast<unsigned>(status)) + ", \"text\": \"" + text + "\" }");
}

// The daemons a command may name in "service": this server stands for any of them.
bool known_service(const std::string& name) { return name == "dhcp4" || name == "dhcp6" || name == "leasehold"; }

}  // namespace

struct HttpControl::Impl {
  Impl(asio::io_context& i, CommandRunner r, MetricsSource m) : io(i), runner(std::move(r)), metrics(std::move(m)) {}

  Status load_tls();
  asio::awaitable<void> accept_loop();
  template <class Stream>
  asio::awaitable<void> serve(std::shared_ptr<Stream> stream);
  asio::awaitable<Response> respond(const Request& req);
  Response lease_snapshot(const Request& req, std::string_view query);
  template <class Stream>
  asio::awaitable<void> watch_leases(Stream& stream, const Request& req, std::string_view query);
  bool authorized(const Request& req) const;

  asio::io_context& io;
  CommandRunner runner;
  MetricsSource metrics;
  HttpControlConfig config;
  std::vector<control::Credentials> credentials;
  std::optional<asio::ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  struct Open {
    std::weak_ptr<void> alive;
    std::function<void()> close;
  };
  std::vector<Open> open;  // the connections, to end them at stop
  bool running = false;
  std::size_t in_flight = 0;
  leasequery::ChangeHub* hub = nullptr;  // the JSON lease stream, when set
  store::JournalReader* reader = nullptr;
  std::chrono::seconds keepalive{15};
};

namespace {

// "/leases/watch?from=3" -> {"/leases/watch", "from=3"}
std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string_view query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.substr(0, pair.find('=')) == key && pair.find('=') != std::string_view::npos)
      return pair.substr(pair.find('=') + 1);
  }
  return {};
}

Response stream_error(http::status status, unsigned version, const std::string& text) {
  return json_response(status, version,
                       nlohmann::json{{"result", static_cast<unsigned>(status)}, {"text", text}}.dump());
}

}  // namespace

Response HttpControl::Impl::lease_snapshot(const Request& req, std::string_view query) {
  std::optional<net::Address> after;
  if (auto text = query_value(query, "after"); !text.empty()) {
    auto a = net::Address::parse(text);
    if (!a) return stream_error(http::status::bad_request, req.version(), "'after' is not an address: " + a.error().message);
    after = *a;
  }
  std::size_t limit = 1000;
  if (auto text = query_value(query, "limit"); !text.empty()) {
    auto n = net::parse_uint(text, 100000);
    if (!n || *n == 0) return stream_error(http::status::bad_request, req.version(), "'limit' must be 1..100000");
    limit = static_cast<std::size_t>(*n);
  }
  auto page = leasequery::snapshot_page(*reader, after, limit);
  if (!page) return stream_error(http::status::internal_server_error, req.version(), page.error().message);
  return json_response(http::status::ok, req.version(), std::move(*page));
}

// GET /leases/watch: a chunked response that never ends on its own; events as the JSON
// stream documents. A watcher that does not read for 120 s is dropped.
template <class Stream>
asio::awaitable<void> HttpControl::Impl::watch_leases(Stream& stream, const Request& req, std::string_view query) {
  constexpr auto kSendTimeout = std::chrono::seconds(120);
  auto& lowest = beast::get_lowest_layer(stream);
  beast::error_code ec;
  auto accept = req.find(http::field::accept);
  auto request = leasequery::parse_watch_query(query, accept == req.end() ? std::string_view() : view(accept->value()));
  Result<leasequery::JsonWatch> watch = request ? leasequery::JsonWatch::open(*hub, *reader, *request)
                                                : Result<leasequery::JsonWatch>(request.error());
  if (!watch) {
    auto status = watch.error().code == Errc::not_found ? http::status::gone : http::status::bad_request;
    Response res = stream_error(status, req.version(), watch.error().message);
    res.keep_alive(false);
    res.prepare_payload();
    lowest.expires_after(kSendTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  http::response<http::empty_body> head{http::status::ok, req.version()};
  head.set(http::field::content_type, watch->content_type());
  head.set(http::field::cache_control, "no-cache");
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer{head};
  lowest.expires_after(kSendTimeout);
  co_await http::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
  leasequery::HubWaiter waiter(io, *hub);
  while (!ec && running) {
    auto text = watch->next(*hub, *reader);
    if (!text) {
      spdlog::warn("lease stream: {}", text.error().message);
      break;
    }
    if (text->empty()) {
      if (co_await waiter.wait(watch->cursor(), keepalive)) continue;
      *text = watch->keepalive(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count());
    }
    lowest.expires_after(kSendTimeout);
    co_await asio::async_write(stream, http::make_chunk(asio::buffer(*text)), asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!ec) {
    lowest.expires_after(kSendTimeout);
    co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
  }
}

Status HttpControl::Impl::load_tls() {
  if (!config.tls()) return {};
  try {
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    tls->use_certificate_chain_file(config.cert_file);
    tls->use_private_key_file(config.key_file, asio::ssl::context::pem);
    if (!config.trust_anchor.empty()) {
      if (std::filesystem::is_directory(config.trust_anchor)) tls->add_verify_path(config.trust_anchor);
      else tls->load_verify_file(config.trust_anchor);
      auto mode = asio::ssl::verify_peer;
      if (config.cert_required) mode |= asio::ssl::verify_fail_if_no_peer_cert;
      tls->set_verify_mode(mode);
    }
  } catch (const boost::system::system_error& e) {
    tls.reset();
    return make_error(Errc::invalid_argument, "http control socket TLS setup: " + std::string(e.what()));
  }
  return {};
}

bool HttpControl::Impl::authorized(const Request& req) const {
  if (config.clients.empty()) return true;
  auto it = req.find(http::field::authorization);
  return it != req.end() && control::basic_auth_matches(view(it->value()), credentials);
}

asio::awaitable<Response> HttpControl::Impl::respond(const Request& req) {
  const unsigned version = req.version();
  if (!authorized(req)) {
    Response res = http_error(http::status::unauthorized, version);
    res.set(http::field::www_authenticate, "Basic realm=\"" + config.realm + "\"");
    co_return res;
  }
  auto [path, query] = split_target(view(req.target()));
  if (req.method() == http::verb::get && path == "/leases" && reader != nullptr) co_return lease_snapshot(req, query);
  if (req.method() == http::verb::get && req.target() == "/metrics") {
    Response res{http::status::ok, version};
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = metrics ? metrics() : std::string();
    co_return res;
  }
  if (req.method() != http::verb::post) co_return http_error(http::status::bad_request, version);
  auto type = req.find(http::field::content_type);
  if (type == req.end() || lower(view(type->value())).rfind("application/json", 0) != 0)
    co_return http_error(http::status::bad_request, version);
  const std::string& body = req.body();
  auto scan = control::scan_command(body);
  if (scan.status != control::ScanStatus::complete) co_return http_error(http::status::bad_request, version);
  // One daemon here: any DHCP service name reaches it; others are refused as Kea's agent does.
  nlohmann::json doc = nlohmann::json::parse(body.substr(0, scan.length), nullptr, false, true);
  if (doc.is_discarded()) co_return http_error(http::status::bad_request, version);
  if (doc.is_object() && doc.contains("service") && doc["service"].is_array())
    for (const auto& s : doc["service"])
      if (s.is_string() && !known_service(s.get<std::string>()))
        co_return json_response(http::status::ok, version,
                                "[ " +
                                    control::format_response(control::answer(
                                        control::ResultCode::error,
                                        "forwarding socket is not configured for the server type " + s.get<std::string>())) +
                                    " ]");
  std::string answer = co_await runner(std::string(body.substr(0, scan.length)));
  co_return json_response(http::status::ok, version, "[ " + answer + " ]");
}

template <class Stream>
asio::awaitable<void> HttpControl::Impl::serve(std::shared_ptr<Stream> stream) {
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    lowest.expires_after(kIdleTimeout);
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      spdlog::debug("control http: TLS handshake failed: {}", ec.message());
      co_return;
    }
  }
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kHttpBodyLimit);
    lowest.expires_after(kIdleTimeout);
    co_await http::async_read(*stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      Response res = http_error(http::status::payload_too_large, 11);
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(*stream, res, asio::redirect_error(asio::use_awaitable, ec));
      break;
    }
    if (ec) break;  // closed, timed out, or not HTTP
    Request req = parser.release();
    if (req.method() == http::verb::get && hub != nullptr && authorized(req) &&
        split_target(view(req.target())).first == "/leases/watch") {
      co_await watch_leases(*stream, req, split_target(view(req.target())).second);
      break;
    }
    ++in_flight;
    Response res = co_await respond(req);
    res.keep_alive(req.keep_alive() && running);
    res.prepare_payload();
    lowest.expires_after(kIdleTimeout);
    co_await http::async_write(*stream, res, asio::redirect_error(asio::use_awaitable, ec));
    --in_flight;
    if (ec || !res.keep_alive()) break;
  }
  lowest.socket().shutdown(tcp::socket::shutdown_both, ec);
  lowest.close();
}

asio::awaitable<void> HttpControl::Impl::accept_loop() {
  while (running) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!running) co_return;
      continue;
    }
    // Forget connections that have ended.
    std::erase_if(open, [](const Open& o) { return o.alive.expired(); });
    if (tls) {
      auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), *tls);
      open.push_back({stream, [weak = std::weak_ptr(stream)] {
                        if (auto s = weak.lock()) beast::get_lowest_layer(*s).close();
                      }});
      asio::co_spawn(io, serve(stream), asio::detached);
    } else {
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      open.push_back({stream, [weak = std::weak_ptr(stream)] {
                        if (auto s = weak.lock()) s->close();
                      }});
      asio::co_spawn(io, serve(stream), asio::detached);
    }
  }
}

HttpControl::HttpControl(asio::io_context& io, CommandRunner runner, MetricsSource metrics)
    : impl_(std::make_unique<Impl>(io, std::move(runner), std::move(metrics))) {}

HttpControl::~HttpControl() { stop(); }

Status HttpControl::start(const HttpControlConfig& config) {
  impl_->config = config;
  impl_->credentials.clear();
  for (const auto& c : config.clients) impl_->credentials.push_back({c.user, c.password});
  if (auto st = impl_->load_tls(); !st) return st;
  beast::error_code ec;
  auto address = asio::ip::make_address(config.address, ec);
  if (ec) return make_error(Errc::invalid_argument, "http control socket: bad address " + config.address);
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint endpoint(address, config.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(Errc::io, "http control socket " + config.address + ":" + std::to_string(config.port) + ": " + ec.message());
  impl_->acceptor = std::move(acceptor);
  impl_->running = true;
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  spdlog::info("control API on http{}://{}:{}{}", config.tls() ? "s" : "", config.address, port(),
               config.clients.empty() ? " (no authentication)" : "");
  return {};
}

void HttpControl::stop_accepting() {
  if (!impl_->running) return;
  impl_->running = false;
  beast::error_code ec;
  impl_->acceptor->close(ec);
}

void HttpControl::close_all() {
  for (auto& o : impl_->open) o.close();
  impl_->open.clear();
}

std::size_t HttpControl::in_flight() const { return impl_->in_flight; }

void HttpControl::set_lease_stream(leasequery::ChangeHub& hub, store::JournalReader& reader, std::chrono::seconds keepalive) {
  impl_->hub = &hub;
  impl_->reader = &reader;
  impl_->keepalive = keepalive;
}

std::uint16_t HttpControl::port() const {
  beast::error_code ec;
  return impl_->acceptor ? impl_->acceptor->local_endpoint(ec).port() : 0;
}

}  // namespace leasehold::server
