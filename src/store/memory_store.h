// MemoryStore: a LeaseStore that keeps rows and the journal in memory and forgets them at
// exit. For tests and for `"type": "memory"` (a server whose leases need not survive a
// restart). Adds one test hook, fail_next_apply(). One writer thread at a time, like every
// LeaseStore; its readers (open_reader) share the data under a mutex.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/lease_store.h"

namespace leasehold::store {

class MemoryStore final : public LeaseStore {
 public:
  MemoryStore();
  Status apply(std::span<const lease::LeaseChange> batch) override;
  std::uint64_t last_revision() const override;
  void set_journal_retention(const JournalRetention& retention) override;
  Result<std::unique_ptr<JournalReader>> open_reader() override;
  Status load(const std::function<void(const lease::LeaseRecord&)>& visit) override;
  // A linear scan: fine for tests and control-API lookups, not for a hot path.
  Result<std::vector<lease::LeaseRecord>> get_by_key(const lease::PublicKey& key) override;
  Result<std::optional<lease::LeaseRecord>> get(const net::Address& address) override;
  std::string describe() const override { return "memory"; }
  Status put_reservation(const std::string& id, const std::string& body) override;
  Status delete_reservation(const std::string& id) override;
  Status load_reservations(const std::function<void(const std::string&, const std::string&)>& visit) override;

  // Makes the next apply() return `error` with nothing applied; later calls succeed again.
  void fail_next_apply(Error error) { next_apply_error_ = std::move(error); }

  // What writer and readers share.
  struct Data {
    mutable std::mutex mutex;
    // Address orders IPv4 before IPv6, then by value: the order load() promises.
    std::map<net::Address, lease::LeaseRecord> rows;
    std::deque<JournalEntry> journal;
    JournalBounds bounds;
    JournalRetention retention;
  };

 private:
  void compact();  // REQUIRES: data_->mutex held

  std::shared_ptr<Data> data_;
  std::optional<Error> next_apply_error_;
  std::map<std::string, std::string> reservations_;
};

}  // namespace leasehold::store
