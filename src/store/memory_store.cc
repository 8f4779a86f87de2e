#include "store/memory_store.h"

#include <algorithm>
#include <utility>

namespace leasehold::store {
namespace {

class MemoryJournalReader final : public JournalReader {
 public:
  explicit MemoryJournalReader(std::shared_ptr<MemoryStore::Data> data) : data_(std::move(data)) {}

  Result<JournalBounds> bounds() override {
    std::lock_guard lock(data_->mutex);
    return data_->bounds;
  }

  Result<std::vector<JournalEntry>> read(std::uint64_t after, std::size_t limit) override {
    std::lock_guard lock(data_->mutex);
    const auto& journal = data_->journal;
    auto it = std::upper_bound(journal.begin(), journal.end(), after,
                               [](std::uint64_t r, const JournalEntry& e) { return r < e.revision; });
    std::vector<JournalEntry> out;
    for (; it != journal.end() && out.size() < limit; ++it) out.push_back(*it);
    return out;
  }

  Result<std::uint64_t> revision_before(std::int64_t time) override {
    std::lock_guard lock(data_->mutex);
    for (const auto& e : data_->journal)
      if (e.change.at >= time) return e.revision - 1;
    return data_->bounds.last_revision;
  }

  Result<std::uint64_t> snapshot(const std::function<void(const lease::LeaseRecord&)>& visit) override {
    std::lock_guard lock(data_->mutex);
    for (const auto& [address, record] : data_->rows) visit(record);
    return data_->bounds.last_revision;
  }

 private:
  std::shared_ptr<MemoryStore::Data> data_;
};

}  // namespace

MemoryStore::MemoryStore() : data_(std::make_shared<Data>()) {}

Status MemoryStore::apply(std::span<const lease::LeaseChange> batch) {
  if (next_apply_error_) {
    Error error = std::move(*next_apply_error_);
    next_apply_error_.reset();
    return error;
  }
  // Nothing below can fail short of std::bad_alloc, so the batch is all-or-nothing.
  std::lock_guard lock(data_->mutex);
  for (const auto& change : batch) {
    const auto& record = change.record;
    if (change.kind == lease::LeaseChange::Kind::remove)
      data_->rows.erase(record.address);
    else
      data_->rows.insert_or_assign(record.address, record);
    data_->journal.push_back(JournalEntry{++data_->bounds.last_revision, change});
  }
  compact();
  return {};
}

void MemoryStore::compact() {
  auto& journal = data_->journal;
  const auto& keep = data_->retention;
  while (!journal.empty()) {
    const JournalEntry& oldest = journal.front();
    bool too_many = journal.size() > keep.max_entries;
    bool too_old = oldest.change.at < journal.back().change.at - keep.max_age_seconds;
    if (!too_many && !too_old) break;
    data_->bounds.compacted_through = oldest.revision;
    data_->bounds.compacted_at = std::max(data_->bounds.compacted_at, oldest.change.at);
    journal.pop_front();
  }
}

std::uint64_t MemoryStore::last_revision() const {
  std::lock_guard lock(data_->mutex);
  return data_->bounds.last_revision;
}

void MemoryStore::set_journal_retention(const JournalRetention& retention) {
  std::lock_guard lock(data_->mutex);
  data_->retention = retention;
  compact();
}

Result<std::unique_ptr<JournalReader>> MemoryStore::open_reader() {
  return std::unique_ptr<JournalReader>(std::make_unique<MemoryJournalReader>(data_));
}

Status MemoryStore::load(const std::function<void(const lease::LeaseRecord&)>& visit) {
  std::lock_guard lock(data_->mutex);
  for (const auto& [address, record] : data_->rows) visit(record);
  return {};
}

Result<std::vector<lease::LeaseRecord>> MemoryStore::get_by_key(const lease::PublicKey& key) {
  std::lock_guard lock(data_->mutex);
  std::vector<lease::LeaseRecord> found;
  for (const auto& [address, record] : data_->rows)
    if (record.key == key) found.push_back(record);
  return found;
}

Result<std::optional<lease::LeaseRecord>> MemoryStore::get(const net::Address& address) {
  std::lock_guard lock(data_->mutex);
  auto it = data_->rows.find(address);
  if (it == data_->rows.end()) return std::optional<lease::LeaseRecord>();
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
