// Persister: writes the engine's changes to the LeaseStore on a thread of its own, many
// changes per transaction (group commit), and tells waiting sessions when their changes
// are durable. A failed commit keeps its changes and retries them with the next batch, so
// the store converges on the engine's state; the waiters of a failed batch are told it
// failed (their clients get errno 1, nothing is acknowledged).
// Threads: enqueue() runs under the engine's lock (changes arrive in engine order);
// last_sequence() may be read anywhere; each event loop registered with add_loop() has its
// own waiters, touched only on that loop's thread (settling is posted to it).
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "lease/lease.h"
#include "stats/statistics.h"
#include "store/lease_store.h"

namespace leasehold::server {

struct PersisterStats {
  std::uint64_t batches = 0;
  std::uint64_t changes = 0;
  std::uint64_t failures = 0;
  double last_commit_ms = 0;
  double max_commit_ms = 0;
};

class Persister {
 public:
  explicit Persister(store::LeaseStore& store);
  ~Persister();
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  void start();
  // Writes everything still pending, then stops the thread. Blocks.
  void stop();

  // Registers an event loop whose coroutines will wait. REQUIRES: before start().
  std::size_t add_loop(boost::asio::io_context& io);

  // Work that must follow every commit before its waiters are told (WireGuard's
  // allowed-ips): called on the store thread with each committed batch. Its error fails
  // the batch's waiters (the changes stay committed). `when_idle` runs on the store thread
  // every idle period. REQUIRES: before start().
  using AfterCommit = std::function<Status(std::span<const lease::LeaseChange>)>;
  void set_after_commit(AfterCommit after_commit, std::function<void()> when_idle);

  // Told of every committed batch, with the journal revision of its first change, on the
  // store thread right after the commit (before AfterCommit): the leasequery hub. Must not
  // block. REQUIRES: before start().
  using OnCommitted = std::function<void(std::span<const lease::LeaseChange>, std::uint64_t first_revision)>;
  void set_on_committed(OnCommitted on_committed) { on_committed_ = std::move(on_committed); }

  void enqueue(const lease::LeaseChange& change);

  // Keeps the changes enqueued while it lives out of any batch until it ends, so that the
  // changes of one request (IPv4 and IPv6) are committed together or not at all.
  class Group {
   public:
    explicit Group(Persister& p);
    ~Group();
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

   private:
    Persister& p_;
  };
  std::uint64_t last_sequence() const { return enqueued_.load(std::memory_order_acquire); }
  // True once every change up to `seq` is durable; false if the batch holding it failed.
  // REQUIRES: called on the thread of loop `loop`.
  boost::asio::awaitable<bool> wait_durable(std::size_t loop, std::uint64_t seq);

  PersisterStats stats() const;
  const stats::Histogram& commit_latency() const { return commit_latency_; }

 private:
  struct Waiter {
    std::uint64_t seq;
    boost::asio::steady_timer* timer;
    bool* result;
  };
  struct Loop {
    boost::asio::io_context* io;
    std::uint64_t settled = 0;
    std::deque<Waiter> waiters;
  };
  void run();
  static void settle(Loop& loop, std::uint64_t upto, bool ok);  // on the loop's thread

  store::LeaseStore& store_;
  AfterCommit after_commit_;
  OnCommitted on_committed_;
  std::function<void()> when_idle_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<lease::LeaseChange> pending_;  // GUARDED_BY(mutex_)
  std::uint64_t pending_upto_ = 0;           // GUARDED_BY(mutex_)
  bool stopping_ = false;                    // GUARDED_BY(mutex_)
  int open_groups_ = 0;                      // GUARDED_BY(mutex_)
  PersisterStats stats_;                     // GUARDED_BY(mutex_)
  stats::Histogram commit_latency_;

  std::atomic<std::uint64_t> enqueued_{0};  // written under mutex_
};

}  // namespace leasehold::server
