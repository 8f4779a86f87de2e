// ChangeHub: where committed lease changes meet the subscribers that stream them
// (active leasequery sessions, the JSON watch). The persister publishes each committed
// batch with its journal revisions; the hub keeps the newest entries in a ring and wakes
// its listeners. A subscriber reads with fetch(): from the ring when it still holds
// everything after the subscriber's cursor, otherwise from the store's journal. The
// subscriber keeps only its cursor, so one that stops reading costs no memory here.
// Thread-safe: publish() on the store thread, everything else from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"
#include "lease/lease.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

class ChangeHub {
 public:
  explicit ChangeHub(std::size_t ring_capacity = 65536) : capacity_(ring_capacity) {}
  ChangeHub(const ChangeHub&) = delete;
  ChangeHub& operator=(const ChangeHub&) = delete;

  // Where the journal stands at start-up, before the first publish().
  void start_at(std::uint64_t last_revision);
  // A committed batch: change k holds revision first_revision + k.
  void publish(std::span<const lease::LeaseChange> batch, std::uint64_t first_revision);
  std::uint64_t last_revision() const;

  // Entries with revision > after (at most `limit`) if the ring still holds all of them.
  std::optional<std::vector<store::JournalEntry>> recent(std::uint64_t after, std::size_t limit) const;

  // Listeners run on the publishing thread after every batch and must only hand off
  // (post to their own loop). The id is for unsubscribe().
  using Listener = std::function<void()>;
  std::uint64_t subscribe(Listener listener);
  void unsubscribe(std::uint64_t id);
  std::size_t subscribers() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<store::JournalEntry> ring_;  // GUARDED_BY(mutex_)
  std::uint64_t last_ = 0;                // GUARDED_BY(mutex_)
  std::map<std::uint64_t, Listener> listeners_;  // GUARDED_BY(mutex_)
  std::uint64_t next_id_ = 1;             // GUARDED_BY(mutex_)
};

// Entries with revision > after, at most `limit`: from the hub's ring when it covers them,
// else from the journal (through `reader`, which must belong to the calling thread).
Result<std::vector<store::JournalEntry>> fetch(const ChangeHub& hub, store::JournalReader& reader,
                                               std::uint64_t after, std::size_t limit);

// Keeps the newest entry per address, in revision order: what a subscriber that fell
// behind is sent (the current state of each binding that changed, not its history).
std::vector<store::JournalEntry> coalesce(std::vector<store::JournalEntry> entries);

}  // namespace leasehold::leasequery
