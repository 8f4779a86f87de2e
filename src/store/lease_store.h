// LeaseStore: where leases live durably. The engine keeps the working set in memory;
// a store is the truth across restarts. One implementation per backend file.
// A store object is used from one thread at a time (the store thread); it is not
// internally synchronised.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "lease/lease.h"

namespace leasehold::store {

// The journal: every change a store applies gets the next revision (1, 2, ...; never
// reused, also across restarts) and is kept, with the engine's timestamp, for the
// retention window. Ended leases stay in it as their release/expire/remove entries
// (tombstones). Leasequery and the JSON lease stream read only this.
struct JournalEntry {
  std::uint64_t revision = 0;
  lease::LeaseChange change;
};

struct JournalBounds {
  std::uint64_t last_revision = 0;      // the newest change (0: none ever)
  std::uint64_t compacted_through = 0;  // changes up to here are gone from the journal
  std::int64_t compacted_at = 0;        // the time of the newest change dropped (0: none)
};

// How much history to keep. An entry goes when more than max_entries newer ones exist or
// when it is more than max_age_seconds older than the newest entry (age counts on the
// journal's own clock, so a quiet server keeps its last changes however old they are).
struct JournalRetention {
  std::uint64_t max_entries = 1'000'000;
  std::int64_t max_age_seconds = 86'400;
};

// Reads the journal and the current leases from any thread (its own connection or lock),
// while the store thread keeps writing.
class JournalReader {
 public:
  virtual ~JournalReader() = default;
  virtual Result<JournalBounds> bounds() = 0;
  // Up to `limit` entries with revision > after, in revision order.
  virtual Result<std::vector<JournalEntry>> read(std::uint64_t after, std::size_t limit) = 0;
  // The revision to read after to see every retained change stamped at or after `time`
  // (the last revision when there is none).
  virtual Result<std::uint64_t> revision_before(std::int64_t time) = 0;
  // Visits every current lease row (as LeaseStore::load) and returns the revision they
  // reflect, all from one snapshot.
  virtual Result<std::uint64_t> snapshot(const std::function<void(const lease::LeaseRecord&)>& visit) = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Applies the changes in order as one transaction. On success the whole batch is
  // durable (survives power loss); on failure nothing of it is applied.
  // grant/renew/release/expire upsert the row keyed by record.address, storing the record
  // as given (the engine sets its state); remove deletes it, and is not an error when the
  // row is already gone.
  // Each change becomes the next journal revision (see last_revision()).
  virtual Status apply(std::span<const lease::LeaseChange> batch) = 0;
  // The revision of the newest applied change: after a successful apply() of n changes,
  // they hold revisions last_revision() - n + 1 ... last_revision().
  virtual std::uint64_t last_revision() const = 0;
  virtual void set_journal_retention(const JournalRetention& retention) = 0;
  // A reader for another thread. Readers may outlive nothing: close them before the store.
  virtual Result<std::unique_ptr<JournalReader>> open_reader() = 0;

  // Calls `visit` for every stored row (any state): IPv4 then IPv6, each in address order.
  // On error, `visit` may already have seen some of the rows.
  virtual Status load(const std::function<void(const lease::LeaseRecord&)>& visit) = 0;

  // The rows of one peer (at most a few), any state, in the same order as load().
  // May scan the whole table (SQLite keeps no key index): not for the request path.
  virtual Result<std::vector<lease::LeaseRecord>> get_by_key(const lease::PublicKey& key) = 0;

  // The row for one address, if any.
  virtual Result<std::optional<lease::LeaseRecord>> get(const net::Address& address) = 0;

  // Host reservations added through the control API (the configuration file's own stay in
  // the file), as opaque text keyed by their identity. put and delete are durable on
  // success; deleting an absent id is not an error. load visits them in id order.
  virtual Status put_reservation(const std::string& id, const std::string& body) = 0;
  virtual Status delete_reservation(const std::string& id) = 0;
  virtual Status load_reservations(const std::function<void(const std::string& id, const std::string& body)>& visit) = 0;

  // Does one bounded piece of housekeeping (folding a log, say) and returns true if more
  // is left. The store thread calls it only when no batch is waiting.
  virtual Result<bool> tidy() { return false; }

  // Human-readable backend description for logs ("sqlite /var/lib/leasehold/leases.db").
  virtual std::string describe() const = 0;
};

struct StoreConfig {
  std::string type = "sqlite";  // "sqlite" | "memory"
  std::string name;             // file path for sqlite
};

// Opens (creating if needed) the configured backend.
Result<std::unique_ptr<LeaseStore>> open_store(const StoreConfig& config);

}  // namespace leasehold::store
