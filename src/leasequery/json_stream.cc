#include "leasequery/json_stream.h"

#include <nlohmann/json.hpp>

#include "control/lease_json.h"

namespace leasehold::leasequery {

using nlohmann::json;

Result<std::string> snapshot_page(store::JournalReader& reader, std::optional<net::Address> after, std::size_t limit) {
  json leases = json::array();
  std::optional<net::Address> last;
  bool more = false;
  auto revision = reader.snapshot([&](const lease::LeaseRecord& r) {
    if (after && !(*after < r.address)) return;
    if (leases.size() >= limit) {
      more = true;
      return;
    }
    leases.push_back(control::lease_to_json(r));
    last = r.address;
  });
  if (!revision) return revision.error();
  json page = {{"revision", *revision}, {"leases", std::move(leases)}, {"next", nullptr}};
  if (more && last) page["next"] = last->to_string();
  return page.dump();
}

Result<WatchRequest> parse_watch_query(std::string_view query, std::string_view accept_header) {
  WatchRequest request;
  if (accept_header.find("text/event-stream") != std::string_view::npos) request.format = StreamFormat::sse;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == "from" || key == "revision") {
      auto n = net::parse_uint(value, UINT64_MAX);
      if (!n) return make_error(Errc::invalid_argument, "'" + std::string(key) + "' must be a revision number, not '" + std::string(value.substr(0, 40)) + "'");
      request.from = *n;
    } else if (key == "format") {
      if (value == "sse") request.format = StreamFormat::sse;
      else if (value == "ndjson") request.format = StreamFormat::ndjson;
      else return make_error(Errc::invalid_argument, "'format' is ndjson or sse");
    }
  }
  return request;
}

Result<JsonWatch> JsonWatch::open(const ChangeHub& hub, store::JournalReader& reader, const WatchRequest& request) {
  std::uint64_t newest = hub.last_revision();
  if (!request.from) return JsonWatch(request.format, newest, newest);
  auto bounds = reader.bounds();
  if (!bounds) return bounds.error();
  std::uint64_t from = *request.from;
  if (from > std::max(newest, bounds->last_revision))
    return make_error(Errc::invalid_argument, "revision " + std::to_string(from) + " is ahead of the newest (" +
                                                  std::to_string(std::max(newest, bounds->last_revision)) + ")");
  if (from < bounds->compacted_through)
    return make_error(Errc::not_found, "revision " + std::to_string(from) + " is compacted: the journal keeps changes after revision " +
                                           std::to_string(bounds->compacted_through) + "; take a snapshot (GET /leases) and watch from its revision");
  return JsonWatch(request.format, from, std::max(newest, bounds->last_revision));
}

const char* JsonWatch::content_type() const {
  return format_ == StreamFormat::sse ? "text/event-stream" : "application/x-ndjson";
}

std::string JsonWatch::event(std::string_view name, const std::string& body, std::uint64_t revision) const {
  if (format_ == StreamFormat::ndjson) return body + "\n";
  return "id: " + std::to_string(revision) + "\nevent: " + std::string(name) + "\ndata: " + body + "\n\n";
}

Result<std::string> JsonWatch::next(const ChangeHub& hub, store::JournalReader& reader, std::size_t max_changes) {
  std::string out;
  auto entries = fetch(hub, reader, cursor_, max_changes);
  if (!entries) return entries.error();
  if (!entries->empty()) {
    std::uint64_t upto = entries->back().revision;
    for (const auto& e : coalesce(std::move(*entries))) {
      json j = {{"event", "change"},
                {"revision", e.revision},
                {"time", e.change.at},
                {"change", lease::change_kind_name(e.change.kind)},
                {"lease", control::lease_to_json(e.change.record)}};
      out += event("change", j.dump(), e.revision);
    }
    cursor_ = upto;
  }
  if (!announced_ && cursor_ >= catch_up_to_) {
    announced_ = caught_up_ = true;
    out += event("catch-up-complete", json{{"event", "catch-up-complete"}, {"revision", cursor_}}.dump(), cursor_);
  }
  return out;
}

std::string JsonWatch::keepalive(std::int64_t now) const {
  return event("keepalive", json{{"event", "keepalive"}, {"revision", cursor_}, {"time", now}}.dump(), cursor_);
}

}  // namespace leasehold::leasequery
