// What DHCPv6 and DHCPv4 leasequery share above the wire: reading the journal for a
// query. Catch-up planning for an active query with a start time (or DataMissing), the
// changes between two times for a bulk query, and the stream of committed changes an
// active query follows (window by window, newest state of each address, keepalives when
// idle). The protocol turns each entry into its own message through `emit`.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/result.h"
#include "leasequery/change_hub.h"
#include "leasequery/tcp_query_service.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

// True for a change that leaves a binding in force (grant or renew of an assigned lease);
// every other change ends the binding (its lifetimes go out as 0).
bool is_live(const lease::LeaseChange& change);

struct CatchUp {
  enum class Outcome { ok, data_missing, unreadable } outcome = Outcome::ok;
  std::uint64_t after = 0;  // replay the journal after this revision ...
  std::uint64_t upto = 0;   // ... up to this one (the newest when the query began)
};
// Where an active query asking for changes since `start` (Unix seconds) begins.
CatchUp plan_catch_up(const ChangeHub& hub, store::JournalReader& reader, std::int64_t start);

// The bindings that changed between `start` and `end` (Unix seconds, inclusive), newest
// state of each, in revision order.
Result<std::vector<store::JournalEntry>> changes_between(store::JournalReader& reader, std::int64_t start, std::int64_t end);

// Sends one entry; false when the connection ended.
using EmitEntry = std::function<boost::asio::awaitable<bool>(const store::JournalEntry&)>;

// Emits the newest state of every address changed after `cursor` up to `upto`, advancing
// `cursor`. False when the connection ended or the journal could not be read.
boost::asio::awaitable<bool> replay(const ChangeHub& hub, store::JournalReader& reader, std::uint64_t& cursor,
                                    std::uint64_t upto, const EmitEntry& emit);

// An active query's life after its reply and catch-up: every committed change after
// `cursor` as it comes, and `keepalive()` after `idle` without one. Returns when the
// connection ends.
boost::asio::awaitable<void> follow(QueryConnection& conn, ChangeHub& hub, store::JournalReader& reader,
                                    std::uint64_t cursor, std::chrono::seconds idle, const EmitEntry& emit,
                                    const std::function<Bytes()>& keepalive);

}  // namespace leasehold::leasequery
