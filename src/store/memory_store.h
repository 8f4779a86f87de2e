// MemoryStore: a LeaseStore that keeps rows in a map and forgets them at exit. For tests
// and for `"type": "memory"` (a server whose leases need not survive a restart).
// Adds one test hook, fail_next_apply(). One thread at a time, like every LeaseStore.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "store/lease_store.h"

namespace leasehold::store {

class MemoryStore final : public LeaseStore {
 public:
  Status apply(std::span<const lease::LeaseChange> batch) override;
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

 private:
  // Address orders IPv4 before IPv6, then by value: the order load() promises.
  std::map<net::Address, lease::LeaseRecord> rows_;
  std::optional<Error> next_apply_error_;
  std::map<std::string, std::string> reservations_;
};

}  // namespace leasehold::store
