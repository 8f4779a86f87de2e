#include "leasequery/change_hub.h"

#include <algorithm>
#include <unordered_map>

namespace leasehold::leasequery {

void ChangeHub::start_at(std::uint64_t last_revision) {
  std::lock_guard lock(mutex_);
  last_ = last_revision;
  ring_.clear();
}

void ChangeHub::publish(std::span<const lease::LeaseChange> batch, std::uint64_t first_revision) {
  std::vector<Listener> wake;
  {
    std::lock_guard lock(mutex_);
    // A gap (a batch the hub never saw) empties the ring: fetch() then reads the journal.
    if (first_revision != last_ + 1) ring_.clear();
    std::uint64_t revision = first_revision;
    for (const auto& change : batch) ring_.push_back(store::JournalEntry{revision++, change});
    while (ring_.size() > capacity_) ring_.pop_front();
    last_ = revision - 1;
    wake.reserve(listeners_.size());
    for (const auto& [id, listener] : listeners_) wake.push_back(listener);
  }
  for (const auto& listener : wake) listener();
}

std::uint64_t ChangeHub::last_revision() const {
  std::lock_guard lock(mutex_);
  return last_;
}

std::optional<std::vector<store::JournalEntry>> ChangeHub::recent(std::uint64_t after, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<store::JournalEntry> out;
  if (after >= last_) return out;
  if (ring_.empty() || ring_.front().revision > after + 1) return std::nullopt;
  std::size_t start = static_cast<std::size_t>(after + 1 - ring_.front().revision);
  std::size_t n = std::min(limit, ring_.size() - start);
  out.assign(ring_.begin() + static_cast<std::ptrdiff_t>(start),
             ring_.begin() + static_cast<std::ptrdiff_t>(start + n));
  return out;
}

std::uint64_t ChangeHub::subscribe(Listener listener) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ChangeHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

std::size_t ChangeHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return listeners_.size();
}

Result<std::vector<store::JournalEntry>> fetch(const ChangeHub& hub, store::JournalReader& reader,
                                               std::uint64_t after, std::size_t limit) {
  if (auto recent = hub.recent(after, limit)) return std::move(*recent);
  return reader.read(after, limit);
}

namespace {
struct WideHash {
  std::size_t operator()(net::uint128 v) const {
    return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(v) ^ (static_cast<std::uint64_t>(v >> 64) * 0x9e3779b97f4a7c15ull));
  }
};
}  // namespace

std::vector<store::JournalEntry> coalesce(std::vector<store::JournalEntry> entries) {
  std::unordered_map<net::uint128, std::size_t, WideHash> seen_v4, seen_v6;  // address -> index in kept
  std::vector<store::JournalEntry> kept;
  const lease::PublicKey nobody;
  // Walk newest first so the first sighting of an address is its current state.
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    const net::Address& a = it->change.record.address;
    auto& seen = a.is_v4() ? seen_v4 : seen_v6;
    auto [slot, fresh] = seen.emplace(a.value(), kept.size());
    if (fresh) {
      kept.push_back(std::move(*it));
      continue;
    }
    // The end of a hold time removes an address without naming its last peer; an older
    // entry in view does name it, so the tombstone can say whose binding ended.
    auto& newest = kept[slot->second];
    if (newest.change.kind == lease::LeaseChange::Kind::remove && newest.change.record.key == nobody &&
        !(it->change.record.key == nobody)) {
      newest.change.record = it->change.record;
      newest.change.record.state = lease::LeaseState::expired_reclaimed;
    }
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

}  // namespace leasehold::leasequery
