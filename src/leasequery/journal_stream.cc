#include "leasequery/journal_stream.h"

#include <spdlog/spdlog.h>

#include "leasequery/hub_waiter.h"

namespace leasehold::leasequery {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kWindow = 4096;  // journal entries read per step
}

bool is_live(const lease::LeaseChange& c) {
  return (c.kind == lease::LeaseChange::Kind::grant || c.kind == lease::LeaseChange::Kind::renew) &&
         c.record.state == lease::LeaseState::assigned;
}

CatchUp plan_catch_up(const ChangeHub& hub, store::JournalReader& reader, std::int64_t start) {
  CatchUp plan;
  plan.upto = plan.after = hub.last_revision();
  auto bounds = reader.bounds();
  if (!bounds) {
    plan.outcome = CatchUp::Outcome::unreadable;
    return plan;
  }
  // Something at or after the start time may have been compacted away.
  if (bounds->compacted_through > 0 && bounds->compacted_at >= start) {
    plan.outcome = CatchUp::Outcome::data_missing;
    return plan;
  }
  auto from = reader.revision_before(start);
  if (!from) {
    plan.outcome = CatchUp::Outcome::unreadable;
    return plan;
  }
  plan.after = std::min(*from, plan.upto);
  return plan;
}

Result<std::vector<store::JournalEntry>> changes_between(store::JournalReader& reader, std::int64_t start, std::int64_t end) {
  auto from = reader.revision_before(start);
  if (!from) return from.error();
  std::vector<store::JournalEntry> changed;
  std::uint64_t cursor = *from;
  for (;;) {
    auto page = reader.read(cursor, kWindow);
    if (!page) return page.error();
    if (page->empty()) break;
    cursor = page->back().revision;
    for (auto& e : *page)
      if (e.change.at >= start && e.change.at <= end) changed.push_back(std::move(e));
  }
  return coalesce(std::move(changed));
}

asio::awaitable<bool> replay(const ChangeHub& hub, store::JournalReader& reader, std::uint64_t& cursor, std::uint64_t upto,
                             const EmitEntry& emit) {
  while (cursor < upto) {
    auto entries = fetch(hub, reader, cursor, kWindow);
    if (!entries) {
      spdlog::warn("leasequery: reading the journal: {}", entries.error().message);
      co_return false;
    }
    if (entries->empty()) co_return true;
    std::uint64_t last = entries->back().revision;
    for (const auto& e : coalesce(std::move(*entries))) {
      if (e.revision > upto) break;
      if (!co_await emit(e)) co_return false;
    }
    cursor = std::min(last, upto);
  }
  co_return true;
}

asio::awaitable<void> follow(QueryConnection& conn, ChangeHub& hub, store::JournalReader& reader, std::uint64_t cursor,
                             std::chrono::seconds idle, const EmitEntry& emit, const std::function<Bytes()>& keepalive) {
  HubWaiter waiter(conn.context(), hub);
  while (conn.open()) {
    if (!co_await waiter.wait(cursor, idle)) {
      if (!conn.open()) break;
      if (hub.last_revision() <= cursor) {
        if (!co_await conn.send(keepalive())) break;
        continue;
      }
    }
    if (!co_await replay(hub, reader, cursor, hub.last_revision(), emit)) break;
  }
}

}  // namespace leasehold::leasequery
