#include "server/server.h"

#include <malloc.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/peer_directory.h"
#include "lease/random_source.h"
#include "server/persister.h"
#include "server/request_ip_service.h"

namespace leasehold::server {

namespace asio = boost::asio;

namespace {
std::shared_ptr<const lease::PeerDirectory> make_directory(const ServerConfig& cfg) {
  auto dir = std::make_shared<lease::StaticPeerDirectory>();
  for (const auto& p : cfg.peers) dir->add(p.source, p.key);
  return dir;
}
}  // namespace

struct Server::Impl {
  Impl(ServerConfig cfg, std::string path)
      : config(std::move(cfg)),
        config_path(std::move(path)),
        random(lease::SeededRandom::from_os()),
        engine(clock, random, feed),
        expiry_timer(io),
        signals(io, SIGTERM, SIGINT, SIGHUP) {}

  int run();
  Status load_leases();
  void arm_expiry();
  void on_expiry(boost::system::error_code ec);
  void wait_signal();
  void reload();
  void shutdown();

  ServerConfig config;
  std::string config_path;
  asio::io_context io{1};
  lease::SystemClock clock;
  lease::SeededRandom random;
  lease::ChangeFeed feed;
  lease::Engine engine;
  std::unique_ptr<store::LeaseStore> store;
  std::unique_ptr<Persister> persister;
  std::unique_ptr<RequestIpService> request_ip;
  asio::steady_timer expiry_timer;
  std::optional<std::int64_t> armed_deadline;
  asio::signal_set signals;
  bool stopping = false;
};

Server::Server(ServerConfig config, std::string config_path)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path))) {}
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

int Server::Impl::run() {
  auto opened = store::open_store(config.lease_database);
  if (!opened) {
    spdlog::critical("lease-database: {}", opened.error().message);
    return 1;
  }
  store = std::move(*opened);
  if (auto st = engine.configure(config.policy); !st) {
    spdlog::critical("configuration: {}", st.error().message);
    return 1;
  }
  persister = std::make_unique<Persister>(io, *store);
  feed.subscribe([this](const lease::LeaseChange& c) { persister->enqueue(c); });
  if (auto st = load_leases(); !st) {
    spdlog::critical("loading leases from {}: {}", store->describe(), st.error().message);
    return 1;
  }
  persister->start();
  request_ip = std::make_unique<RequestIpService>(io, engine, *persister, [this] { arm_expiry(); });
  if (auto st = request_ip->start(config.request_ip, make_directory(config)); !st) {
    spdlog::critical("request-ip: {}", st.error().message);
    persister->stop();
    return 1;
  }
  arm_expiry();
  wait_signal();
  spdlog::info("leasehold-server ready ({}, {} subnets, {} peers in directory)", store->describe(),
               config.policy.subnets.size(), config.peers.size());
  io.run();
  persister->stop();
  auto ps = persister->stats();
  spdlog::info("stopped: {} commits, {} changes written, {} failed commits", ps.batches, ps.changes, ps.failures);
  return 0;
}

void Server::Impl::arm_expiry() {
  auto deadline = engine.next_deadline();
  if (!deadline || (armed_deadline && *armed_deadline <= *deadline)) return;
  armed_deadline = deadline;
  expiry_timer.expires_at(asio::steady_timer::time_point(std::chrono::seconds(*deadline)));
  expiry_timer.async_wait([this](boost::system::error_code ec) { on_expiry(ec); });
}

void Server::Impl::on_expiry(boost::system::error_code ec) {
  if (ec || stopping) return;
  armed_deadline.reset();
  std::size_t n = engine.expire_due();
  if (n) spdlog::debug("expired or released from hold: {}", n);
  arm_expiry();
}

void Server::Impl::wait_signal() {
  signals.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
      wait_signal();
      return;
    }
    spdlog::info("signal {}: shutting down", signo);
    shutdown();
  });
}

void Server::Impl::reload() {
  auto fresh = load_config_file(config_path);
  if (!fresh) {
    spdlog::error("reload of {} refused, keeping the running configuration: {}", config_path, fresh.error().message);
    return;
  }
  if (auto st = engine.configure(fresh->policy); !st) {
    spdlog::error("reload refused: {}", st.error().message);
    return;
  }
  // The store and the listening sockets stay as started; say so if the file wants others.
  if (fresh->lease_database.type != config.lease_database.type || fresh->lease_database.name != config.lease_database.name)
    spdlog::warn("reload: lease-database changes take effect at restart");
  fresh->lease_database = config.lease_database;
  std::vector<std::string> old_listen, new_listen;
  for (const auto& ep : config.request_ip.listen) old_listen.push_back(ep.to_string());
  for (const auto& ep : fresh->request_ip.listen) new_listen.push_back(ep.to_string());
  if (old_listen != new_listen) spdlog::warn("reload: request-ip.listen changes take effect at restart");
  fresh->request_ip.listen = config.request_ip.listen;
  request_ip->reconfigure(fresh->request_ip, make_directory(*fresh));
  spdlog::set_level(spdlog::level::from_str(fresh->log_level));
  config = std::move(*fresh);
  armed_deadline.reset();
  expiry_timer.cancel();
  arm_expiry();
  spdlog::info("configuration reloaded from {}", config_path);
}

void Server::Impl::shutdown() {
  if (stopping) return;
  stopping = true;
  request_ip->stop_accepting();
  expiry_timer.cancel();
  signals.cancel();
  // Let in-flight requests finish: their commits complete and answers go out, then stop.
  auto drain = std::make_shared<asio::steady_timer>(io);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto step = std::make_shared<std::function<void()>>();
  *step = [this, drain, deadline, step] {
    bool idle = request_ip->in_flight() == 0;
    if (idle || std::chrono::steady_clock::now() >= deadline) {
      request_ip->close_all();
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
