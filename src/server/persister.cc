#include "server/persister.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

namespace leasehold::server {

namespace asio = boost::asio;

Persister::Persister(store::LeaseStore& store) : store_(store) {}

std::size_t Persister::add_loop(asio::io_context& io) {
  loops_.push_back(std::make_unique<Loop>(Loop{&io, 0, {}}));
  return loops_.size() - 1;
}

Persister::~Persister() { stop(); }

void Persister::set_after_commit(AfterCommit after_commit, std::function<void()> when_idle) {
  after_commit_ = std::move(after_commit);
  when_idle_ = std::move(when_idle);
}

void Persister::start() { thread_ = std::thread([this] { run(); }); }

void Persister::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Persister::enqueue(const lease::LeaseChange& change) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    // The store thread sleeps only on an empty queue: wake it once per batch, not per
    // change. While a group is open it waits for the group instead (~Group wakes it).
    wake = pending_.empty() && open_groups_ == 0;
    pending_.push_back(change);
    pending_upto_ = enqueued_.fetch_add(1, std::memory_order_acq_rel) + 1;
  }
  if (wake) wake_.notify_one();
}

Persister::Group::Group(Persister& p) : p_(p) {
  std::lock_guard lock(p_.mutex_);
  ++p_.open_groups_;
}

Persister::Group::~Group() {
  bool wake;
  {
    std::lock_guard lock(p_.mutex_);
    wake = --p_.open_groups_ == 0 && !p_.pending_.empty();
  }
  if (wake) p_.wake_.notify_one();
}

asio::awaitable<bool> Persister::wait_durable(std::size_t loop_index, std::uint64_t seq) {
  Loop& loop = *loops_[loop_index];
  if (seq <= loop.settled) co_return true;
  asio::steady_timer timer(*loop.io, asio::steady_timer::time_point::max());
  bool result = false;
  loop.waiters.push_back(Waiter{seq, &timer, &result});
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return result;
}

void Persister::settle(Loop& loop, std::uint64_t upto, bool ok) {
  if (ok && upto > loop.settled) loop.settled = upto;
  while (!loop.waiters.empty() && loop.waiters.front().seq <= upto) {
    Waiter w = loop.waiters.front();
    loop.waiters.pop_front();
    *w.result = ok;
    w.timer->cancel();
  }
}

// Store housekeeping waits for this much quiet, so it never competes with a burst.
constexpr auto kIdleBeforeTidy = std::chrono::milliseconds(200);

void Persister::run() {
  std::vector<lease::LeaseChange> batch, retry;
  auto backoff = std::chrono::milliseconds(0);
  bool tidy_left = true;
  for (;;) {
    std::uint64_t upto;
    {
      std::unique_lock lock(mutex_);
      if (backoff.count() > 0)
        wake_.wait_for(lock, backoff, [&] { return stopping_; });
      // Work is there unless a group is still adding to it (then ~Group wakes us).
      auto has_work = [&] { return stopping_ || (open_groups_ == 0 && (!pending_.empty() || !retry.empty())); };
      // Idle: tidy the store a chunk at a time, looking for new work between chunks.
      while (!wake_.wait_for(lock, kIdleBeforeTidy, has_work)) {
        if (!tidy_left && !when_idle_) {  // nothing to do when idle: sleep until work comes
          wake_.wait(lock, has_work);
          break;
        }
        lock.unlock();
        if (when_idle_) when_idle_();
        if (tidy_left) {
          auto more = store_.tidy();
          tidy_left = more.ok() && *more;
          if (!more.ok()) spdlog::warn("lease store housekeeping failed: {}", more.error().message);
        }
        lock.lock();
      }
      tidy_left = true;
      if (pending_.empty() && retry.empty()) return;  // stopping, nothing left
      if (stopping_ && pending_.empty() && backoff.count() > 0) {
        spdlog::error("lease store: giving up on {} unwritten changes at shutdown", retry.size());
        return;
      }
      batch.swap(pending_);
      upto = pending_upto_;
    }
    if (!retry.empty()) {
      // Older failed changes go first so the newest state of every row wins.
      retry.insert(retry.end(), batch.begin(), batch.end());
      batch.swap(retry);
      retry.clear();
    }
    auto t0 = std::chrono::steady_clock::now();
    Status st = store_.apply(batch);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    commit_latency_.observe(ms / 1000.0);
    {
      std::lock_guard lock(mutex_);
      stats_.batches++;
      stats_.changes += batch.size();
      stats_.last_commit_ms = ms;
      if (ms > stats_.max_commit_ms) stats_.max_commit_ms = ms;
      if (!st) stats_.failures++;
    }
    if (st && on_committed_) on_committed_(batch, store_.last_revision() - batch.size() + 1);
    if (st && after_commit_) {
      if (auto after = after_commit_(batch); !after) {
        spdlog::error("after commit of {} changes: {}", batch.size(), after.error().message);
        st = after;  // answered as failed; the changes are committed and are not retried
        batch.clear();
      }
    }
    if (st || batch.empty()) {
      batch.clear();
      backoff = std::chrono::milliseconds(0);
    } else {
      spdlog::error("lease store: commit of {} changes failed: {}", batch.size(), st.error().message);
      retry.swap(batch);
      batch.clear();
      backoff = std::min(std::chrono::milliseconds(5000), std::max(backoff * 2, std::chrono::milliseconds(50)));
    }
    bool ok = st.ok();
    for (auto& loop : loops_) asio::post(*loop->io, [l = loop.get(), upto, ok] { settle(*l, upto, ok); });
  }
}

PersisterStats Persister::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace leasehold::server
