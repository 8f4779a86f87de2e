// The change hub, coalescing, and the JSON watch's events, over the memory store's journal.
#include "leasequery/change_hub.h"
#include "leasequery/json_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/memory_store.h"

namespace leasehold::leasequery {
namespace {

using lease::LeaseChange;
using Kind = LeaseChange::Kind;

lease::LeaseRecord record(std::uint32_t host, std::uint8_t key_seed) {
  lease::LeaseRecord r;
  r.address = net::Address::v4(0x0a000000u + host);
  std::array<std::uint8_t, 32> k{};
  k.fill(key_seed);
  r.key = lease::PublicKey(k);
  r.subnet_id = 1;
  r.cltt = 1000;
  r.valid_lifetime = 60;
  return r;
}

// Applies to the store and publishes to the hub, as the persister does.
void commit(store::MemoryStore& s, ChangeHub& hub, std::vector<LeaseChange> batch) {
  ASSERT_TRUE(s.apply(batch).ok());
  hub.publish(batch, s.last_revision() - batch.size() + 1);
}

std::vector<std::uint64_t> revisions(const std::vector<store::JournalEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& e : entries) out.push_back(e.revision);
  return out;
}

TEST(ChangeHub, ServesRecentEntriesFromTheRingAndOlderOnesFromTheJournal) {
  store::MemoryStore s;
  ChangeHub hub(2);
  int woken = 0;
  hub.subscribe([&] { ++woken; });
  for (std::uint32_t i = 1; i <= 4; ++i) commit(s, hub, {LeaseChange{Kind::grant, record(i, 1), 100}});
  EXPECT_EQ(woken, 4);
  EXPECT_EQ(hub.last_revision(), 4u);
  ASSERT_TRUE(hub.recent(2, 10).has_value());
  EXPECT_EQ(revisions(*hub.recent(2, 10)), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_FALSE(hub.recent(1, 10).has_value());  // revision 2 has left the ring
  auto reader = s.open_reader();
  ASSERT_TRUE(reader.ok());
  auto all = fetch(hub, **reader, 0, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(revisions(*all), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST(ChangeHub, CoalesceKeepsTheNewestStatePerAddressAndNamesThePeerOfAnAnonymousRemoval) {
  std::vector<store::JournalEntry> entries = {
      {1, {Kind::grant, record(1, 1), 1}},
      {2, {Kind::grant, record(2, 2), 1}},
      {3, {Kind::renew, record(1, 1), 2}},
      {4, {Kind::release, record(2, 2), 3}},
      {5, {Kind::remove, lease::LeaseRecord{net::Address::v4(0x0a000002u), {}, 0, 0, 0, {}, {}, {}}, 4}},
  };
  auto kept = coalesce(entries);
  ASSERT_EQ(revisions(kept), (std::vector<std::uint64_t>{3, 5}));
  EXPECT_EQ(kept[1].change.kind, Kind::remove);
  EXPECT_EQ(kept[1].change.record.key, record(2, 2).key);
}

TEST(JsonWatch, CatchesUpThenAnnouncesItAndRefusesCompactedRevisions) {
  store::MemoryStore s;
  s.set_journal_retention({3, 1'000'000});
  ChangeHub hub;
  for (std::uint32_t i = 1; i <= 5; ++i) commit(s, hub, {LeaseChange{Kind::grant, record(i, 1), 100 + i}});
  auto reader = s.open_reader();
  ASSERT_TRUE(reader.ok());
  // Revisions 1-2 are compacted away: watching from 1 is refused, from 2 is fine.
  auto old = JsonWatch::open(hub, **reader, WatchRequest{1, StreamFormat::ndjson});
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, Errc::not_found);
  auto ahead = JsonWatch::open(hub, **reader, WatchRequest{9, StreamFormat::ndjson});
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.error().code, Errc::invalid_argument);
  auto watch = JsonWatch::open(hub, **reader, WatchRequest{2, StreamFormat::ndjson});
  ASSERT_TRUE(watch.ok()) << watch.error().message;
  auto text = watch->next(hub, **reader);
  ASSERT_TRUE(text.ok());
  std::vector<nlohmann::json> events;
  std::size_t at = 0;
  while (at < text->size()) {
    std::size_t nl = text->find('\n', at);
    events.push_back(nlohmann::json::parse(text->substr(at, nl - at)));
    at = nl + 1;
  }
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["revision"], 3);
  EXPECT_EQ(events[0]["change"], "grant");
  EXPECT_EQ(events[0]["lease"]["ip-address"], "10.0.0.3");
  EXPECT_EQ(events[3]["event"], "catch-up-complete");
  EXPECT_EQ(events[3]["revision"], 5);
  EXPECT_TRUE(watch->caught_up());
  EXPECT_TRUE(watch->next(hub, **reader)->empty());
  commit(s, hub, {LeaseChange{Kind::renew, record(5, 1), 200}});
  EXPECT_NE(watch->next(hub, **reader)->find("\"renew\""), std::string::npos);
}

TEST(JsonWatch, SseFramesEveryEventWithItsRevisionAsId) {
  store::MemoryStore s;
  ChangeHub hub;
  commit(s, hub, {LeaseChange{Kind::grant, record(1, 1), 100}});
  auto reader = s.open_reader();
  auto request = parse_watch_query("from=0&x=1", "text/event-stream");
  ASSERT_TRUE(request.ok());
  auto watch = JsonWatch::open(hub, **reader, *request);
  ASSERT_TRUE(watch.ok());
  EXPECT_STREQ(watch->content_type(), "text/event-stream");
  auto text = *watch->next(hub, **reader);
  EXPECT_EQ(text.rfind("id: 1\nevent: change\ndata: {", 0), 0u) << text;
  EXPECT_NE(text.find("id: 1\nevent: catch-up-complete\n"), std::string::npos) << text;
  EXPECT_FALSE(parse_watch_query("from=abc", "").ok());
  EXPECT_FALSE(parse_watch_query("format=xml", "").ok());
}

TEST(JsonStream, SnapshotPagesCarryTheirRevision) {
  store::MemoryStore s;
  ChangeHub hub;
  for (std::uint32_t i = 1; i <= 3; ++i) commit(s, hub, {LeaseChange{Kind::grant, record(i, 1), 100}});
  auto reader = s.open_reader();
  auto page = snapshot_page(**reader, std::nullopt, 2);
  ASSERT_TRUE(page.ok());
  auto j = nlohmann::json::parse(*page);
  EXPECT_EQ(j["revision"], 3);
  EXPECT_EQ(j["leases"].size(), 2u);
  EXPECT_EQ(j["next"], "10.0.0.2");
  auto rest = nlohmann::json::parse(*snapshot_page(**reader, net::Address::v4(0x0a000002u), 2));
  EXPECT_EQ(rest["leases"].size(), 1u);
  EXPECT_TRUE(rest["next"].is_null());
}

}  // namespace
}  // namespace leasehold::leasequery
