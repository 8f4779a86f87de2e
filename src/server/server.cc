#include "server/server.h"

#include <malloc.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "control/dispatcher.h"
#include "control/lease_commands.h"
#include "control/statistic_commands.h"
#include "control/option_commands.h"
#include "control/reservation_commands.h"
#include "control/subnet_commands.h"
#include "stats/lease_statistics.h"
#include "stats/prometheus.h"
#include "stats/statistics.h"

#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/peer_directory.h"
#include "lease/random_source.h"
#include "netif/netif.h"
#include "options/options.h"
#include "server/persister.h"
#include "server/control_socket.h"
#include "server/http_control.h"
#include "leasequery/change_hub.h"
#include "leasequery/dhcp4_service.h"
#include "leasequery/dhcp6_service.h"
#include "leasequery/tcp_query_service.h"
#include "leasequery/peer_identity.h"
#include "server/daemon_commands.h"
#include "server/route_pools.h"
#include "wireguard/allowed_ips_sync.h"
#include "wireguard/link_local.h"
#include "wireguard/peer_directory.h"
#include "server/request_ip_service.h"

namespace leasehold::server {

namespace asio = boost::asio;

namespace {
// Static peers from the config first, then the WireGuard interface's peers.
class ChainedPeerDirectory final : public lease::PeerDirectory {
 public:
  ChainedPeerDirectory(std::shared_ptr<const lease::PeerDirectory> first,
                       std::shared_ptr<const lease::PeerDirectory> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  std::optional<lease::PublicKey> find(const net::Address& source) const override {
    if (auto key = first_->find(source)) return key;
    return second_->find(source);
  }

 private:
  std::shared_ptr<const lease::PeerDirectory> first_, second_;
};

std::shared_ptr<const lease::PeerDirectory> make_directory(
    const ServerConfig& cfg, const std::shared_ptr<wireguard::WireGuardPeerDirectory>& wg) {
  auto dir = std::make_shared<lease::StaticPeerDirectory>();
  for (const auto& p : cfg.peers) dir->add(p.source, p.key);
  if (!wg) return dir;
  if (cfg.peers.empty()) return wg;
  return std::make_shared<ChainedPeerDirectory>(dir, wg);
}

// The configured policy, plus (with pools-from-routes) a subnet per route of the interface.
Result<lease::Policy> effective_policy(const ServerConfig& cfg) {
  if (!cfg.wireguard.pools_from_routes) return cfg.policy;
  const std::string& ifname = cfg.wireguard.interface;
  auto routes = netif::list_route_prefixes(ifname);
  if (!routes) return routes.error();
  auto addresses = netif::list_addresses(ifname);
  if (!addresses) return addresses.error();
  std::vector<net::Address> own;
  for (const auto& a : *addresses) own.push_back(a.address);
  lease::Policy policy = with_route_pools(cfg.policy, *routes, own);
  for (std::size_t i = cfg.policy.subnets.size(); i < policy.subnets.size(); ++i)
    spdlog::info("pools-from-routes: subnet {} from route {} on {}", policy.subnets[i].id,
                 policy.subnets[i].prefix.to_string(), ifname);
  if (policy.subnets.size() == cfg.policy.subnets.size() && !routes->empty())
    spdlog::info("pools-from-routes: every route on {} is already a configured subnet", ifname);
  if (auto st = lease::validate_policy(policy); !st) return st.error();
  return policy;
}

// The server listens on fe80:: of the interface by default; make sure it is there. Without
// DAD (a tunnel has no one to clash with), so the listener can bind at once.
Status ensure_server_link_local(const ServerConfig& cfg) {
  const auto& listen = cfg.request_ip.listen;
  const auto ll = wireguard::server_link_local();
  bool wanted = std::any_of(listen.begin(), listen.end(), [&](const ListenEndpoint& ep) {
    return ep.address == ll && ep.zone == cfg.wireguard.interface;
  });
  if (!wanted) return {};
  auto addresses = netif::list_addresses(cfg.wireguard.interface);
  if (!addresses) return addresses.error();
  for (const auto& a : *addresses)
    if (a.address == ll) return {};
  if (auto st = netif::add_address(cfg.wireguard.interface, ll, 64); !st) return st;
  spdlog::info("added fe80::/64 to {}", cfg.wireguard.interface);
  return {};
}

std::vector<net::Prefix> lease_space(const lease::Policy& policy) {
  std::vector<net::Prefix> out;
  for (const auto& s : policy.subnets) out.push_back(s.prefix);
  return out;
}

constexpr std::int64_t kNotArmed = std::numeric_limits<std::int64_t>::max();

// The running configuration starts as the file's "Leasehold" object (an empty object when
// the server was given its config without a text, as tests do).
nlohmann::json initial_document(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  auto doc = parse_config_document(text);
  return doc ? std::move(*doc) : nlohmann::json::object();
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io, std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return make_error(Errc::io, std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  int synced = ::fsync(fd);
  int err = errno;
  if (::close(fd) != 0 && synced == 0) {
    synced = -1;
    err = errno;
  }
  if (synced != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    if (synced == 0) err = errno;
    ::unlink(temp.c_str());
    return make_error(Errc::io, std::strerror(err));
  }
  // The rename itself must survive a crash too.
  int dir = ::open(std::filesystem::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}
}  // namespace

// Threads: the main thread runs signals, the expiry timer and reloads; each worker runs
// one RequestIpService on its own event loop; the persister has its store thread. The
// engine is shared by all of them and guarded by engine_mutex.
struct Server::Impl {
  struct Worker {
    asio::io_context io{1};
    std::unique_ptr<RequestIpService> service;
    std::thread thread;
  };

  Impl(ServerConfig cfg, std::string path, std::string text)
      : config(std::move(cfg)),
        config_path(std::move(path)),
        running(initial_document(text)),
        random(lease::SeededRandom::from_os()),
        engine(clock, random, feed),
        expiry_timer(io),
        refresh_timer(io),
        signals(io, SIGTERM, SIGINT, SIGHUP) {}

  int run();
  Status load_leases();
  void configure_statistics(const lease::Policy& policy);  // REQUIRES: engine_mutex held or no other thread running
  std::string metrics_text() const;
  Status start_wireguard();
  void arm_refresh();
  Status start_control();
  Status register_reservations();
  void publish_options();
  Status set_host_options(const std::string& key, const nlohmann::json& option_data);
  void add_option_lines(const lease::PublicKey& key, const lease::LeaseReply& reply,
                        std::vector<std::pair<std::string, std::string>>& lines);
  asio::awaitable<std::string> run_command(std::string text);
  Status start_workers();
  void stop_workers();
  void request_expiry_check(std::optional<std::int64_t> deadline);  // any thread
  void arm_expiry();                                                  // main thread
  void on_expiry(boost::system::error_code ec);
  void wait_signal();
  Status reload(const std::optional<std::string>& file);
  Status apply_config(nlohmann::json leasehold);
  Result<ConfigWritten> write_config(const std::optional<std::string>& file);
  void shutdown();
  template <class F>
  void on_each_worker(F f) {
    for (auto& w : workers) asio::post(w->io, [s = w->service.get(), f] { f(*s); });
  }

  ServerConfig config;
  std::string config_path;
  nlohmann::json running;  // the "Leasehold" object in force, as config-get shows it
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point reloaded = started;
  // Leasequery: the committed changes as the streams see them. Declared before the loops
  // so that it outlives them: a stream's coroutine destroyed with its loop unsubscribes.
  leasequery::ChangeHub change_hub;
  asio::io_context io{1};
  lease::SystemClock clock;
  lease::SeededRandom random;
  lease::ChangeFeed feed;
  lease::Engine engine;
  std::mutex engine_mutex;
  stats::Registry statistics;
  stats::LeaseStatistics lease_statistics{statistics};  // under engine_mutex
  RequestIpCounters request_counters{statistics};
  std::atomic<std::size_t> open_connections{0};  // all request threads together
  std::unique_ptr<store::LeaseStore> store;
  std::unique_ptr<Persister> persister;
  std::vector<std::unique_ptr<Worker>> workers;
  asio::steady_timer expiry_timer;
  asio::steady_timer refresh_timer;
  std::shared_ptr<wireguard::WireGuardPeerDirectory> wg_directory;
  std::unique_ptr<wireguard::AllowedIpsSync> wg_sync;
  std::atomic<std::int64_t> armed_deadline{kNotArmed};
  asio::signal_set signals;
  control::Dispatcher dispatcher;
  std::unique_ptr<ControlSocket> control_socket;
  std::unique_ptr<store::LeaseStore> reservation_store;
  std::vector<std::unique_ptr<HttpControl>> http_controls;
  // The main loop's reader of the journal (the JSON lease stream runs on the main loop).
  std::unique_ptr<store::JournalReader> journal_reader;
  // DHCPv6 and DHCPv4 leasequery: one loop and thread, with a journal reader of its own.
  asio::io_context leasequery_io;
  std::unique_ptr<store::JournalReader> leasequery_reader;
  std::vector<std::unique_ptr<leasequery::TcpQueryService>> leasequery_services;
  std::thread leasequery_thread;
  Status start_leasequery();
  void stop_leasequery();
  // Options: the configuration's plus the stored reservations' host options, as one
  // snapshot the request threads read (swapped whole under options_mutex).
  std::mutex options_mutex;
  std::shared_ptr<const options::OptionSet> option_set;
  std::map<std::string, std::vector<options::OptionValue>> stored_host_options;  // main thread
  std::size_t control_loop = 0;  // the main loop's index among the persister's loops
  bool stopping = false;
  int exit_code = 0;  // the shutdown command's exit-value
};

Server::Server(ServerConfig config, std::string config_path, std::string config_text)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path), std::move(config_text))) {}
Server::~Server() = default;
int Server::run() { return impl_->run(); }

Status Server::Impl::load_leases() {
  auto t0 = std::chrono::steady_clock::now();
  std::size_t rows = 0;
  Status st = store->load([&](const lease::LeaseRecord& r) {
    engine.restore(r);
    ++rows;
  });
  if (!st) return st;
  engine.finish_restore();
  malloc_trim(0);  // give back what parsing the config and loading rows left behind
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("loaded {} lease rows in {:.2f} s: {} peers hold {} addresses, {} held back", rows, secs,
               engine.peer_count(), engine.binding_count(), engine.held_count());
  return {};
}

void Server::Impl::configure_statistics(const lease::Policy& policy) {
  std::vector<stats::SubnetSize> sizes;
  for (const auto& s : policy.subnets) {
    // An IPv6 pool can hold more than an int64 counts (a /64: 2^64); the statistic saturates.
    net::uint128 size = engine.pool_size(s.prefix.family(), s.id);
    constexpr auto kMax = static_cast<net::uint128>(std::numeric_limits<std::int64_t>::max());
    sizes.push_back({s.prefix.family(), s.id, static_cast<std::int64_t>(size > kMax ? kMax : size)});
  }
  lease_statistics.configure(sizes);
}

std::string Server::Impl::metrics_text() const {
  return stats::prometheus_text(
      statistics.snapshot(),
      {{"leasehold_grant_latency_seconds", "request_ip answers that grant: message received to answer sent (durable).",
        &request_counters.grant_latency},
       {"leasehold_store_commit_seconds", "Lease store commits (one group commit each).", &persister->commit_latency()}});
}

// The daemon commands reach the server through these hooks; all run on this (the main)
// thread, as the control socket does, so they need no locking beyond the engine's.
Status Server::Impl::start_control() {
  DaemonHooks hooks;
  hooks.config_path = [this] { return config_path; };
  hooks.running_config = [this] { return running; };
  hooks.reload = [this](const std::optional<std::string>& file) { return reload(file); };
  hooks.set = [this](const nlohmann::json& leasehold) {
    if (auto st = apply_config(leasehold); !st) return st;
    spdlog::info("configuration replaced by config-set");
    return Status{};
  };
  hooks.write = [this](const std::optional<std::string>& file) { return write_config(file); };
  hooks.shutdown = [this](int code) {
    exit_code = code;
    spdlog::info("shutdown command: shutting down");
    asio::post(io, [this] { shutdown(); });  // after this handler; the drain waits for its answer
  };
  hooks.status = [this] {
    auto seconds_since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t).count();
    };
    return DaemonStatus{static_cast<std::int64_t>(::getpid()), seconds_since(started), seconds_since(reloaded),
                        config.request_ip.threads > 1};
  };
  if (auto st = register_daemon_commands(dispatcher, std::move(hooks)); !st) return st;
  control::LeaseCommandContext leases{&engine, &engine_mutex, [this] { asio::post(io, [this] { arm_expiry(); }); }};
  if (auto st = control::register_lease_commands(dispatcher, std::move(leases)); !st) return st;
  if (auto st = control::register_statistic_commands(dispatcher, statistics); !st) return st;
  control::SubnetCommandContext subnets{&engine, &engine_mutex, [this] { return running; },
                                        [this](nlohmann::json leasehold) { return apply_config(std::move(leasehold)); },
                                        [this] { asio::post(io, [this] { arm_expiry(); }); }};
  if (auto st = control::register_subnet_commands(dispatcher, std::move(subnets)); !st) return st;
  control::OptionCommandContext option_context{[this] { return running; },
                                               [this](nlohmann::json leasehold) { return apply_config(std::move(leasehold)); }};
  if (auto st = control::register_option_commands(dispatcher, std::move(option_context)); !st) return st;
  if (auto st = register_reservations(); !st) return st;
  control_loop = persister->add_loop(io);
  auto runner = [this](std::string text) { return run_command(std::move(text)); };
  if (!config.http_control.empty()) {
    auto reader = store->open_reader();
    if (!reader) return make_error(reader.error().code, "lease stream: " + reader.error().message);
    journal_reader = std::move(*reader);
  }
  for (const auto& http : config.http_control) {
    auto server = std::make_unique<HttpControl>(io, runner, [this] { return metrics_text(); });
    server->set_lease_stream(change_hub, *journal_reader, std::chrono::seconds(config.leasequery.stream_keepalive_seconds));
    if (auto st = server->start(http); !st) return st;
    http_controls.push_back(std::move(server));
  }
  if (!config.control_socket.enabled()) return {};
  control_socket = std::make_unique<ControlSocket>(io, runner);
  return control_socket->start(config.control_socket.socket_name);
}

void Server::Impl::publish_options() {
  auto set = std::make_shared<options::OptionSet>(config.options);
  for (const auto& [key, values] : stored_host_options) set->host[key] = values;
  std::lock_guard lock(options_mutex);
  option_set = std::move(set);
}

Status Server::Impl::set_host_options(const std::string& key, const nlohmann::json& option_data) {
  if (option_data.is_null()) {
    stored_host_options.erase(key);
  } else {
    auto values = options::parse_values(option_data, "reservation.option-data", config.options.definitions, options::kAnySpace);
    if (!values) return values.error();
    stored_host_options[key] = std::move(*values);
  }
  publish_options();
  return {};
}

// Runs on a request thread for each granting answer; costs nothing without options.
void Server::Impl::add_option_lines(const lease::PublicKey& key, const lease::LeaseReply& reply,
                                    std::vector<std::pair<std::string, std::string>>& lines) {
  std::shared_ptr<const options::OptionSet> set;
  {
    std::lock_guard lock(options_mutex);
    set = option_set;
  }
  if (!set || (set->global.empty() && set->subnet.empty() && set->host.empty())) return;
  auto extra = options::response_lines(*set, reply.v4 ? std::optional(reply.v4_subnet) : std::nullopt,
                                       reply.v6 ? std::optional(reply.v6_subnet) : std::nullopt,
                                       set->host.empty() ? std::string() : key.to_base64());
  lines.insert(lines.end(), extra.begin(), extra.end());
}

// Reservations added through the API live in the store, read and written on this thread
// through a connection of their own (the lease store's belongs to the persister's thread).
Status Server::Impl::register_reservations() {
  auto opened = store::open_store(config.lease_database);
  if (!opened) return make_error(opened.error().code, "reservations: " + opened.error().message);
  reservation_store = std::move(*opened);
  control::ReservationCommandContext context{&engine, &engine_mutex, [this] { return running; }, reservation_store.get(),
                                             [this] { asio::post(io, [this] { arm_expiry(); }); },
                                             [this](const std::string& key, const nlohmann::json& data) {
                                               return set_host_options(key, data);
                                             }};
  std::vector<std::string> warnings;
  if (auto st = control::register_reservation_commands(dispatcher, std::move(context), warnings); !st) return st;
  for (const auto& w : warnings) spdlog::warn("{}", w);
  return {};
}

// One control command: dispatched on this thread, answered once every change it made is
// durable (and, with an interface, in WireGuard's allowed-ips), like a request_ip answer.
asio::awaitable<std::string> Server::Impl::run_command(std::string text) {
  const std::uint64_t before = persister->last_sequence();
  std::string response = dispatcher.handle(text);
  const std::uint64_t made = persister->last_sequence();
  // A command that changed nothing (a get, a refused add) answers at once, without waiting
  // for other clients' changes to commit. (Changes are numbered under the engine lock, so
  // one made by a request thread meanwhile only makes this wait a little longer.)
  if (made != before && !co_await persister->wait_durable(control_loop, made)) {
    spdlog::error("control command: its changes could not be stored; answering with an error");
    co_return control::format_response(control::answer(
        control::ResultCode::error, "The change is in effect but could not be stored in the lease database "
                                    "(it will be retried with the next commit); see the server log."));
  }
  co_return response;
}

Status Server::Impl::start_workers() {
  std::uint32_t n = config.request_ip.threads;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    std::size_t loop = persister->add_loop(w->io);
    w->service = std::make_unique<RequestIpService>(
        w->io, engine, engine_mutex, *persister, loop, open_connections, request_counters,
        [this](std::optional<std::int64_t> deadline) { request_expiry_check(deadline); });
    w->service->set_response_extras(
        [this](const lease::PublicKey& key, const lease::LeaseReply& reply, auto& lines) { add_option_lines(key, reply, lines); });
    workers.push_back(std::move(w));
  }
  // Several workers share each listening port through SO_REUSEPORT. The first one binds
  // (which settles port 0 to a real port); the others bind to the ports it got.
  RequestIpConfig shared = config.request_ip;
  auto directory = make_directory(config, wg_directory);
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (auto st = workers[i]->service->start(shared, directory, n > 1); !st) return st;
    if (i == 0) {
      auto bound = workers[0]->service->local_endpoints();
      for (std::size_t k = 0; k < shared.listen.size() && k < bound.size(); ++k) shared.listen[k].port = bound[k].port();
    }
  }
  persister->start();
  for (auto& w : workers) w->thread = std::thread([io = &w->io] { io->run(); });
  return {};
}

void Server::Impl::stop_workers() {
  for (auto& w : workers) {
    w->io.stop();
    if (w->thread.joinable()) w->thread.join();
  }
}

int Server::Impl::run() {
  auto opened = store::open_store(config.lease_database);
  if (!opened) {
    spdlog::critical("lease-database: {}", opened.error().message);
    return 1;
  }
  store = std::move(opened.value());
  store->set_journal_retention(config.leasequery.journal);
  change_hub.start_at(store->last_revision());
  if (config.wireguard.enabled()) {
    if (auto st = ensure_server_link_local(config); !st) {
      spdlog::critical("interface {}: {}", config.wireguard.interface, st.error().message);
      return 1;
    }
  }
  auto policy = effective_policy(config);
  if (!policy) {
    spdlog::critical("configuration: {}", policy.error().message);
    return 1;
  }
  config.policy = std::move(*policy);
  if (auto st = engine.configure(config.policy); !st) {
    spdlog::critical("configuration: {}", st.error().message);
    return 1;
  }
  persister = std::make_unique<Persister>(*store);
  persister->set_on_committed([this](std::span<const lease::LeaseChange> batch, std::uint64_t first) {
    change_hub.publish(batch, first);
  });
  feed.subscribe([this](const lease::LeaseChange& c) { persister->enqueue(c); });
  feed.subscribe([this](const lease::LeaseChange& c) { lease_statistics.on_change(c); });
  configure_statistics(config.policy);
  if (auto st = load_leases(); !st) {
    spdlog::critical("loading leases from {}: {}", store->describe(), st.error().message);
    return 1;
  }
  for (const auto& s : config.policy.subnets) {
    std::int64_t held = 0;
    engine.for_each_lease_from(s.prefix.first(), [&](const lease::LeaseRecord& r) {
      if (!s.prefix.contains(r.address)) return false;
      held += r.subnet_id == s.id;
      return true;
    });
    lease_statistics.set_assigned(s.prefix.family(), s.id, held);
  }
  if (auto st = start_wireguard(); !st) {
    spdlog::critical("interface {}: {}", config.wireguard.interface, st.error().message);
    return 1;
  }
  publish_options();
  if (auto st = start_control(); !st) {
    spdlog::critical("{}", st.error().message);
    return 1;
  }
  if (auto st = start_leasequery(); !st) {
    spdlog::critical("{}", st.error().message);
    persister->stop();
    return 1;
  }
  if (auto st = start_workers(); !st) {
    spdlog::critical("request-ip: {}", st.error().message);
    stop_workers();
    stop_leasequery();
    persister->stop();
    return 1;
  }
  arm_expiry();
  arm_refresh();
  wait_signal();
  std::string peers = std::to_string(config.peers.size()) + " static peers";
  if (wg_directory) peers += ", " + std::to_string(wg_directory->size()) + " WireGuard peers on " + config.wireguard.interface;
  spdlog::info("leasehold-server ready ({}, {} subnets, {}, {} request thread{})", store->describe(),
               config.policy.subnets.size(), peers, workers.size(), workers.size() == 1 ? "" : "s");
  io.run();
  stop_workers();
  stop_leasequery();
  persister->stop();
  auto ps = persister->stats();
  spdlog::info("stopped: {} commits, {} changes written, {} failed commits", ps.batches, ps.changes, ps.failures);
  return exit_code;
}

// With an interface: reads its peers, makes its allowed-ips match the stored leases, and
// from then on updates them after every commit (before the answers go out).
Status Server::Impl::start_wireguard() {
  const WireGuardConfig& wg = config.wireguard;
  if (!wg.enabled()) return {};
  auto for_directory = wireguard::open_device(wg.interface, wg.backend, wg.uapi_socket_dir);
  if (!for_directory) return for_directory.error();
  auto for_sync = wireguard::open_device(wg.interface, wg.backend, wg.uapi_socket_dir);
  if (!for_sync) return for_sync.error();
  wg_directory = std::make_shared<wireguard::WireGuardPeerDirectory>(std::move(*for_directory), wg.zero_touch);
  if (auto st = wg_directory->refresh(); !st) return st;
  wg_sync = std::make_unique<wireguard::AllowedIpsSync>(
      std::move(*for_sync), lease_space(config.policy), [this] {
        std::vector<wireguard::LiveAddress> live;
        std::lock_guard lock(engine_mutex);
        engine.for_each_binding([&](const lease::PublicKey& key, const net::Address& a) { live.emplace_back(key, a); });
        return live;
      });
  if (auto st = wg_sync->reconcile(); !st) return st;
  const auto& stats = wg_sync->stats();
  spdlog::info("interface {} ({} backend): {} peers with a link-local /128; allowed-ips reconciled, {} added, {} removed",
               wg.interface, wg_sync->device().backend(), wg_directory->size(), stats.added, stats.removed);
  auto* sync = wg_sync.get();
  persister->set_after_commit(
      [sync](std::span<const lease::LeaseChange> changes) { return sync->apply(changes); },
      [sync] {
        bool was_dirty = sync->dirty();
        sync->retry_if_dirty();
        if (was_dirty && !sync->dirty()) spdlog::info("allowed-ips reconciled again after a failure");
      });
  return {};
}

void Server::Impl::arm_refresh() {
  if (!wg_directory) return;
  refresh_timer.expires_after(std::chrono::seconds(config.wireguard.refresh_interval_seconds));
  refresh_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping) return;
    if (auto st = wg_directory->refresh(); !st) spdlog::warn("interface {}: reading peers: {}", config.wireguard.interface, st.error().message);
    arm_refresh();
  });
}

// Workers call this after each request. It costs a post to the main thread only when the
// engine's next deadline moved earlier than the armed one (a short lease, say).
void Server::Impl::request_expiry_check(std::optional<std::int64_t> deadline) {
  if (!deadline || *deadline >= armed_deadline.load(std::memory_order_relaxed)) return;
  asio::post(io, [this] { arm_expiry(); });
}

void Server::Impl::arm_expiry() {
  std::optional<std::int64_t> deadline;
  {
    std::lock_guard lock(engine_mutex);
    deadline = engine.next_deadline();
  }
  if (!deadline || armed_deadline.load() <= *deadline) return;
  armed_deadline.store(*deadline);
  expiry_timer.expires_at(asio::steady_timer::time_point(std::chrono::seconds(*deadline)));
  expiry_timer.async_wait([this](boost::system::error_code ec) { on_expiry(ec); });
}

void Server::Impl::on_expiry(boost::system::error_code ec) {
  if (ec || stopping) return;
  armed_deadline.store(kNotArmed);
  std::size_t n;
  {
    std::lock_guard lock(engine_mutex);
    n = engine.expire_due();
  }
  if (n) spdlog::debug("expired or released from hold: {}", n);
  arm_expiry();
}

void Server::Impl::wait_signal() {
  signals.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      if (auto st = reload(std::nullopt); !st)
        spdlog::error("reload of {} refused, keeping the running configuration: {}", config_path, st.error().message);
      wait_signal();
      return;
    }
    spdlog::info("signal {}: shutting down", signo);
    shutdown();
  });
}

// SIGHUP and config-reload: the file (or, from config-reload, another file, which then
// becomes the configuration file) replaces the running configuration if it applies.
Status Server::Impl::reload(const std::optional<std::string>& file) {
  const std::string path = file.value_or(config_path);
  auto text = read_config_file(path);
  if (!text) return text.error();
  auto document = parse_config_document(*text);
  if (!document) return document.error();
  if (auto st = apply_config(std::move(*document)); !st) return st;
  config_path = path;
  spdlog::info("configuration reloaded from {}", config_path);
  return {};
}

// Validates a whole "Leasehold" object and puts it in force; nothing changes on error.
// Settings that need a restart (store, listeners, threads, interface, control sockets)
// keep their running values, with a warning.
Status Server::Impl::apply_config(nlohmann::json leasehold) {
  auto fresh = parse_config_object(leasehold);
  if (!fresh) return fresh.error();
  if (fresh->wireguard.interface != config.wireguard.interface)
    spdlog::warn("reload: interface changes take effect at restart");
  fresh->wireguard = config.wireguard;  // routes are read again below
  auto policy = effective_policy(*fresh);
  if (!policy) return policy.error();
  fresh->policy = std::move(*policy);
  {
    std::lock_guard lock(engine_mutex);
    if (auto st = engine.configure(fresh->policy); !st) return st;
    configure_statistics(fresh->policy);
  }
  if (fresh->lease_database.type != config.lease_database.type || fresh->lease_database.name != config.lease_database.name)
    spdlog::warn("reload: lease-database changes take effect at restart");
  fresh->lease_database = config.lease_database;
  if (fresh->request_ip.listen != config.request_ip.listen || fresh->request_ip.threads != config.request_ip.threads)
    spdlog::warn("reload: request-ip.listen and request-ip.threads changes take effect at restart");
  fresh->request_ip.listen = config.request_ip.listen;
  fresh->request_ip.threads = config.request_ip.threads;
  if (fresh->control_socket != config.control_socket)
    spdlog::warn("reload: control-socket changes take effect at restart");
  fresh->control_socket = config.control_socket;
  if (wg_sync) wg_sync->set_lease_space(lease_space(fresh->policy));
  auto directory = make_directory(*fresh, wg_directory);
  auto request_ip = fresh->request_ip;
  on_each_worker([request_ip, directory](RequestIpService& s) { s.reconfigure(request_ip, directory); });
  spdlog::set_level(spdlog::level::from_str(fresh->log_level));
  config = std::move(*fresh);
  running = std::move(leasehold);
  publish_options();
  reloaded = std::chrono::steady_clock::now();
  armed_deadline.store(kNotArmed);
  expiry_timer.cancel();
  arm_expiry();
  return {};
}

// config-write: the running configuration, pretty-printed, replacing the file atomically
// (temporary file, fsync, rename). Only inside the configuration file's directory, so the
// API cannot be used to write files elsewhere (Kea 2.6.3 added the same rule).
Result<ConfigWritten> Server::Impl::write_config(const std::optional<std::string>& file) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(config_path).parent_path();
  fs::path target = file ? fs::path(*file) : fs::path(config_path);
  if (target.is_relative()) target = dir / target;
  target = target.lexically_normal();
  auto [stop, _] = std::mismatch(dir.begin(), dir.end(), target.begin(), target.end());
  if (stop != dir.end() || target.parent_path() != dir)
    return make_error(Errc::invalid_argument, "not allowed to write config into " + target.string() +
                                                  ": the file must be in " + dir.string());
  std::string text = nlohmann::json{{"Leasehold", running}}.dump(2) + "\n";
  if (auto st = write_file_atomically(target.string(), text); !st)
    return make_error(Errc::io, "Unable to open file " + target.string() + " for writing: " + st.error().message);
  spdlog::info("configuration written to {} ({} bytes)", target.string(), text.size());
  return ConfigWritten{target.string(), text.size()};
}

namespace {

// The server's DUID for leasequery replies: DUID-EN 32473 (as the peers' DUIDs), kind 0,
// then /etc/machine-id's 16 octets when readable (stable across restarts), else zeros.
std::vector<std::uint8_t> server_duid() {
  std::vector<std::uint8_t> duid = {0, 2, 0, 0, 0x7e, 0xd9, 0};
  std::ifstream in("/etc/machine-id");
  std::string hex;
  std::getline(in, hex);
  for (std::size_t i = 0; i + 1 < hex.size() && duid.size() < 7 + 16; i += 2) {
    unsigned value = 0;
    if (std::sscanf(hex.c_str() + i, "%2x", &value) != 1) break;
    duid.push_back(static_cast<std::uint8_t>(value));
  }
  duid.resize(7 + 16, 0);
  return duid;
}

leasequery::TcpQueryOptions tcp_query_options(const LeasequeryListenerConfig& lq) {
  leasequery::TcpQueryOptions options;
  options.address = lq.address;
  options.port = lq.port;
  options.requesters = lq.requesters;
  options.max_requester_connections = lq.max_requester_connections;
  options.max_concurrent_queries = lq.max_concurrent_queries;
  options.send_timeout = std::chrono::seconds(lq.send_timeout_seconds);
  options.receive_timeout = std::chrono::seconds(lq.receive_timeout_seconds);
  return options;
}

}  // namespace

Status Server::Impl::start_leasequery() {
  const auto& v6 = config.leasequery.dhcp6;
  const auto& v4 = config.leasequery.dhcp4;
  if (!v6.enabled && !v4.enabled) return {};
  auto reader = store->open_reader();
  if (!reader) return make_error(reader.error().code, "leasequery: " + reader.error().message);
  leasequery_reader = std::move(*reader);
  auto now = [this] { return clock.wall_seconds(); };
  if (v6.enabled) {
    leasequery::Dhcp6ProtocolOptions protocol{server_duid(), std::chrono::seconds(v6.idle_timeout_seconds)};
    leasequery_services.push_back(std::make_unique<leasequery::TcpQueryService>(
        leasequery_io, tcp_query_options(v6), leasequery::make_dhcp6_protocol(change_hub, *leasequery_reader, protocol, now)));
  }
  if (v4.enabled) {
    leasequery::Dhcp4ProtocolOptions protocol{std::chrono::seconds(v4.idle_timeout_seconds)};
    leasequery_services.push_back(std::make_unique<leasequery::TcpQueryService>(
        leasequery_io, tcp_query_options(v4), leasequery::make_dhcp4_protocol(change_hub, *leasequery_reader, protocol, now)));
  }
  for (auto& service : leasequery_services)
    if (auto st = service->start(); !st) return st;
  leasequery_thread = std::thread([this] {
    auto guard = asio::make_work_guard(leasequery_io);
    leasequery_io.run();
  });
  return {};
}

void Server::Impl::stop_leasequery() {
  if (!leasequery_thread.joinable()) return;
  asio::post(leasequery_io, [this] {
    for (auto& service : leasequery_services) service->stop();
    leasequery_io.stop();
  });
  leasequery_thread.join();
}

void Server::Impl::shutdown() {
  if (stopping) return;
  stopping = true;
  on_each_worker([](RequestIpService& s) { s.stop_accepting(); });
  if (control_socket) control_socket->stop_accepting();
  for (auto& h : http_controls) h->stop_accepting();
  expiry_timer.cancel();
  refresh_timer.cancel();
  signals.cancel();
  // Let in-flight requests finish: their commits complete and answers go out, then stop.
  auto drain = std::make_shared<asio::steady_timer>(io);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto step = std::make_shared<std::function<void()>>();
  *step = [this, drain, deadline, step] {
    bool idle = true;
    for (auto& w : workers) idle = idle && w->service->in_flight() == 0;
    // The shutdown command's own answer is in flight until written.
    if (control_socket) idle = idle && control_socket->in_flight() == 0;
    for (auto& h : http_controls) idle = idle && h->in_flight() == 0;
    if (idle || std::chrono::steady_clock::now() >= deadline) {
      on_each_worker([](RequestIpService& s) { s.close_all(); });
      if (control_socket) control_socket->close_all();
      for (auto& h : http_controls) h->close_all();
      io.stop();
      *step = nullptr;  // break the self-reference
      return;
    }
    drain->expires_after(std::chrono::milliseconds(20));
    drain->async_wait([step](boost::system::error_code) { if (*step) (*step)(); });
  };
  (*step)();
}

}  // namespace leasehold::server
