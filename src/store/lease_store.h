// LeaseStore: where leases live durably. The engine keeps the working set in memory;
// a store is the truth across restarts. One implementation per backend file.
// A store object is used from one thread at a time (the store thread); it is not
// internally synchronised.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "lease/lease.h"

namespace leasehold::store {

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Applies the changes in order as one transaction. On success the whole batch is
  // durable (survives power loss); on failure nothing of it is applied.
  // grant/renew/release/expire upsert the row keyed by record.address, storing the record
  // as given (the engine sets its state); remove deletes it, and is not an error when the
  // row is already gone.
  virtual Status apply(std::span<const lease::LeaseChange> batch) = 0;

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
