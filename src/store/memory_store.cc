#include "store/memory_store.h"

#include <utility>

namespace leasehold::store {

Status MemoryStore::apply(std::span<const lease::LeaseChange> batch) {
  if (next_apply_error_) {
    Error error = std::move(*next_apply_error_);
    next_apply_error_.reset();
    return error;
  }
  // Nothing below can fail short of std::bad_alloc, so the batch is all-or-nothing.
  for (const auto& change : batch) {
    const auto& record = change.record;
    if (change.kind == lease::LeaseChange::Kind::remove)
      rows_.erase(record.address);
    else
      rows_.insert_or_assign(record.address, record);
  }
  return {};
}

Status MemoryStore::load(const std::function<void(const lease::LeaseRecord&)>& visit) {
  for (const auto& [address, record] : rows_) visit(record);
  return {};
}

Result<std::vector<lease::LeaseRecord>> MemoryStore::get_by_key(const lease::PublicKey& key) {
  std::vector<lease::LeaseRecord> found;
  for (const auto& [address, record] : rows_)
    if (record.key == key) found.push_back(record);
  return found;
}

Result<std::optional<lease::LeaseRecord>> MemoryStore::get(const net::Address& address) {
  auto it = rows_.find(address);
  if (it == rows_.end()) return std::optional<lease::LeaseRecord>();
  return std::optional<lease::LeaseRecord>(it->second);
}

Status MemoryStore::put_reservation(const std::string& id, const std::string& body) {
  reservations_[id] = body;
  return {};
}

Status MemoryStore::delete_reservation(const std::string& id) {
  reservations_.erase(id);
  return {};
}

Status MemoryStore::load_reservations(const std::function<void(const std::string&, const std::string&)>& visit) {
  for (const auto& [id, body] : reservations_) visit(id, body);
  return {};
}

}  // namespace leasehold::store
