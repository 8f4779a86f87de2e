// The JSON lease stream's content, without any I/O: snapshot pages of the current leases
// (with the journal revision they reflect) and the events of a watch from a revision, as
// NDJSON lines or Server-Sent Events. The HTTP transport (server/http_control.cc) writes
// what this produces; the formats are documented in docs/leasequery.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "leasequery/change_hub.h"
#include "store/lease_store.h"

namespace leasehold::leasequery {

// One page of `GET /leases`: leases with address > `after` (all when empty), at most
// `limit`, as {"revision": R, "leases": [...], "next": "<last address>" | null}.
Result<std::string> snapshot_page(store::JournalReader& reader, std::optional<net::Address> after, std::size_t limit);

enum class StreamFormat { ndjson, sse };

// The parameters of `GET /leases/watch?from=REV` (or `revision=`). from is absent for
// live changes only.
struct WatchRequest {
  std::optional<std::uint64_t> from;
  StreamFormat format = StreamFormat::ndjson;
};
// Reads the query string of a watch URL ("from=12&x=y"); unknown keys are ignored.
Result<WatchRequest> parse_watch_query(std::string_view query, std::string_view accept_header);

// The state of one watch: where it stands and whether catch-up is done.
class JsonWatch {
 public:
  // Errc::not_found when `from` is older than the journal keeps (HTTP 410 "compacted"),
  // invalid_argument when it is ahead of the newest revision.
  static Result<JsonWatch> open(const ChangeHub& hub, store::JournalReader& reader, const WatchRequest& request);

  // The next events to send (changes after the cursor, coalesced per address when the
  // watcher is behind; then a catch-up-complete event once it has reached the revision
  // that was newest when the watch began). Empty when there is nothing new.
  Result<std::string> next(const ChangeHub& hub, store::JournalReader& reader, std::size_t max_changes = 4096);
  std::string keepalive(std::int64_t now) const;
  std::uint64_t cursor() const { return cursor_; }
  bool caught_up() const { return caught_up_; }
  // The response's content type for the chosen format.
  const char* content_type() const;

 private:
  JsonWatch(StreamFormat format, std::uint64_t cursor, std::uint64_t catch_up_to)
      : format_(format), cursor_(cursor), catch_up_to_(catch_up_to), caught_up_(cursor >= catch_up_to) {}
  std::string event(std::string_view name, const std::string& json, std::uint64_t revision) const;

  StreamFormat format_;
  std::uint64_t cursor_;
  std::uint64_t catch_up_to_;
  bool caught_up_;
  bool announced_ = false;  // catch-up-complete sent
};

}  // namespace leasehold::leasequery
