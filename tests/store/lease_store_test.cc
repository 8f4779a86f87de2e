// The LeaseStore conformance suite: every backend must pass all of it. Also open_store().
#include "store/lease_store.h"
#include "store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/memory_store.h"

namespace leasehold::store {
namespace {

using lease::LeaseChange;
using lease::LeaseRecord;
using lease::LeaseState;
using ::testing::HasSubstr;
using Kind = LeaseChange::Kind;

using leasehold::testing::TempDir;

lease::PublicKey key_of(std::uint8_t seed) {
  std::array<std::uint8_t, lease::PublicKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
  return lease::PublicKey(bytes);
}

net::Address addr(const char* text) { return *net::Address::parse(text); }

LeaseRecord record(const char* address, std::uint8_t key_seed, std::int64_t cltt = 1'700'000'000) {
  LeaseRecord r;
  r.address = addr(address);
  r.key = key_of(key_seed);
  r.subnet_id = 7;
  r.cltt = cltt;
  r.valid_lifetime = 3600;
  r.state = LeaseState::assigned;
  return r;
}

LeaseChange change(Kind kind, LeaseRecord r) { return LeaseChange{kind, std::move(r)}; }

struct MemoryBackend {
  static constexpr const char* kName = "memory";
  static Result<std::unique_ptr<LeaseStore>> open(const TempDir&) {
    return open_store(StoreConfig{"memory", ""});
  }
  // Makes the next apply() that writes `poison` fail.
  static void break_writes_of(LeaseStore& store, const TempDir&, const net::Address&) {
    static_cast<MemoryStore&>(store).fail_next_apply(make_error(Errc::io, "injected failure"));
  }
};

struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static std::string file(const TempDir& dir) { return (dir.path() / "leases.db").string(); }
  static Result<std::unique_ptr<LeaseStore>> open(const TempDir& dir) {
    return open_store(StoreConfig{"sqlite", file(dir)});
  }
  // A trigger that aborts any insert of `poison`, so the batch fails part-way through,
  // after the rows before it have been written inside the transaction.
  static void break_writes_of(LeaseStore&, const TempDir& dir, const net::Address& poison) {
    ASSERT_TRUE(poison.is_v4());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file(dir).c_str(), &db), SQLITE_OK);
    // Writes reach the change log first (see sqlite_store.h), so the trigger sits there.
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", poison.v4_value());
    std::string sql = std::string("CREATE TRIGGER poison BEFORE INSERT ON change_log WHEN NEW.address = x'") + hex +
                      "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
};

template <class Backend>
class LeaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto store = Backend::open(dir_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }

  void apply_ok(std::vector<LeaseChange> batch) {
    auto status = store_->apply(batch);
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  std::vector<LeaseRecord> load_all() {
    std::vector<LeaseRecord> rows;
    auto status = store_->load([&](const LeaseRecord& r) { rows.push_back(r); });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return rows;
  }

  TempDir dir_;
  std::unique_ptr<LeaseStore> store_;
};

// SQLite folding its change log into the tables after every commit, a few entries at a
// time, so reads see a mix of folded rows and logged ones.
struct SqliteFoldingBackend : SqliteBackend {
  static constexpr const char* kName = "sqlite_folding";
  static Result<std::unique_ptr<LeaseStore>> open(const TempDir& dir) {
    SqliteOptions options;
    options.max_log_entries = 0;
    options.fold_chunk = 3;
    auto store = SqliteStore::open(file(dir), options);
    if (!store) return store.error();
    return std::unique_ptr<LeaseStore>(std::move(store.value()));
  }
};

struct BackendName {
  template <class Backend>
  static std::string GetName(int) { return Backend::kName; }
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, SqliteFoldingBackend>;
TYPED_TEST_SUITE(LeaseStoreTest, Backends, BackendName);

TYPED_TEST(LeaseStoreTest, NewStoreIsEmpty) {
  EXPECT_TRUE(this->load_all().empty());
  auto got = this->store_->get(addr("10.0.0.1"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(this->store_->apply({}).ok());
}

TYPED_TEST(LeaseStoreTest, GrantThenLoad) {
  LeaseRecord r = record("10.0.0.5", 1);
  this->apply_ok({change(Kind::grant, r)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{r});
}

TYPED_TEST(LeaseStoreTest, RenewUpdatesClttAndLifetime) {
  LeaseRecord r = record("10.0.0.5", 1);
  this->apply_ok({change(Kind::grant, r)});
  r.cltt += 1800;
  r.valid_lifetime = 7200;
  this->apply_ok({change(Kind::renew, r)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{r});
}

TYPED_TEST(LeaseStoreTest, GrantToAnotherPeerReplacesTheKey) {
  LeaseRecord old_peer = record("fd00::5", 1);
  old_peer.hostname = "old";
  this->apply_ok({change(Kind::grant, old_peer)});
  LeaseRecord new_peer = record("fd00::5", 2, old_peer.cltt + 60);
  this->apply_ok({change(Kind::grant, new_peer)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{new_peer});
  auto by_old = this->store_->get_by_key(key_of(1));
  ASSERT_TRUE(by_old.ok());
  EXPECT_TRUE(by_old->empty());
  auto by_new = this->store_->get_by_key(key_of(2));
  ASSERT_TRUE(by_new.ok());
  EXPECT_EQ(*by_new, std::vector<LeaseRecord>{new_peer});
}

TYPED_TEST(LeaseStoreTest, RenewOfAMissingRowInsertsIt) {
  LeaseRecord r = record("10.0.0.5", 1);
  this->apply_ok({change(Kind::renew, r)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{r});
}

TYPED_TEST(LeaseStoreTest, ReleaseAndExpireKeepTheRowAsReclaimed) {
  LeaseRecord a = record("10.0.0.5", 1);
  LeaseRecord b = record("fd00::5", 2);
  this->apply_ok({change(Kind::grant, a), change(Kind::grant, b)});
  a.state = LeaseState::expired_reclaimed;
  b.state = LeaseState::expired_reclaimed;
  this->apply_ok({change(Kind::release, a), change(Kind::expire, b)});
  auto rows = this->load_all();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(static_cast<int>(rows[0].state), 2);
  EXPECT_EQ(rows, (std::vector<LeaseRecord>{a, b}));
}

TYPED_TEST(LeaseStoreTest, RemoveDeletesTheRow) {
  LeaseRecord a = record("10.0.0.5", 1);
  LeaseRecord b = record("fd00::5", 1);
  LeaseRecord c = record("10.0.0.6", 2);
  this->apply_ok({change(Kind::grant, a), change(Kind::grant, b), change(Kind::grant, c)});
  this->apply_ok({change(Kind::remove, a), change(Kind::remove, b)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{c});
  // Removing a row that is not there is not an error.
  this->apply_ok({change(Kind::remove, a)});
}

TYPED_TEST(LeaseStoreTest, BatchAppliesInOrder) {
  LeaseRecord a = record("10.0.0.5", 1);
  LeaseRecord b = record("10.0.0.6", 2);
  this->apply_ok({change(Kind::grant, a), change(Kind::remove, a), change(Kind::grant, b)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{b});
  LeaseRecord b2 = b;
  b2.cltt += 10;
  this->apply_ok({change(Kind::remove, b), change(Kind::grant, b2)});
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{b2});
}

TYPED_TEST(LeaseStoreTest, GetByAddress) {
  LeaseRecord a = record("10.0.0.5", 1);
  LeaseRecord b = record("fd00::5", 1);
  this->apply_ok({change(Kind::grant, a), change(Kind::grant, b)});
  auto got = this->store_->get(addr("10.0.0.5"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, a);
  got = this->store_->get(addr("fd00::5"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, b);
  got = this->store_->get(addr("fd00::6"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // Same numeric value, other family: not the same address.
  got = this->store_->get(net::Address::v6(a.address.value()));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TYPED_TEST(LeaseStoreTest, GetByKeyReturnsEveryRowOfThePeer) {
  LeaseRecord a4 = record("10.0.0.5", 1);
  LeaseRecord a6 = record("fd00::5", 1);
  LeaseRecord b4 = record("10.0.0.6", 2);
  a6.state = LeaseState::expired_reclaimed;
  this->apply_ok({change(Kind::grant, a6), change(Kind::grant, b4), change(Kind::grant, a4)});
  auto got = this->store_->get_by_key(key_of(1));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, (std::vector<LeaseRecord>{a4, a6}));
  got = this->store_->get_by_key(key_of(3));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TYPED_TEST(LeaseStoreTest, MixedFamiliesLoadInAddressOrder) {
  std::vector<LeaseRecord> want = {
      record("0.0.0.0", 1),     record("10.0.0.1", 2),  record("10.0.0.2", 3),
      record("128.0.0.1", 4),   record("255.255.255.255", 5),
      record("::", 6),          record("::1", 7),       record("fd00::1", 8),
      record("fe80::1", 9),     record("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 10),
  };
  std::vector<LeaseChange> batch;
  for (std::size_t i : {9, 2, 5, 0, 7, 3, 8, 1, 6, 4}) batch.push_back(change(Kind::grant, want[i]));
  this->apply_ok(batch);
  EXPECT_EQ(this->load_all(), want);
}

TYPED_TEST(LeaseStoreTest, FieldsRoundTripAtTheirLimits) {
  LeaseRecord a = record("10.0.0.5", 1, std::numeric_limits<std::int64_t>::max());
  a.subnet_id = std::numeric_limits<std::uint32_t>::max();
  a.valid_lifetime = std::numeric_limits<std::uint32_t>::max();
  a.state = LeaseState::declined;
  LeaseRecord b = record("fd00::5", 2, std::numeric_limits<std::int64_t>::min());
  b.subnet_id = 0;
  b.valid_lifetime = 0;
  this->apply_ok({change(Kind::grant, a), change(Kind::grant, b)});
  EXPECT_EQ(this->load_all(), (std::vector<LeaseRecord>{a, b}));
}

TYPED_TEST(LeaseStoreTest, HostnameAndUserContextRoundTrip) {
  LeaseRecord a = record("10.0.0.5", 1);
  a.hostname = "laptop-\xc3\xa9t\xc3\xa9";  // UTF-8
  a.user_context = R"({"owner": "ops", "tags": ["a", "b"], "n": 1})";
  LeaseRecord b = record("fd00::5", 2);
  b.hostname = "phone";
  LeaseRecord c = record("10.0.0.6", 3);  // both empty
  this->apply_ok({change(Kind::grant, a), change(Kind::grant, b), change(Kind::grant, c)});
  EXPECT_EQ(this->load_all(), (std::vector<LeaseRecord>{a, c, b}));
  // Clearing them on renew clears them in the store.
  a.hostname.clear();
  a.user_context.clear();
  this->apply_ok({change(Kind::renew, a)});
  auto got = this->store_->get(a.address);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, a);
}

TYPED_TEST(LeaseStoreTest, FailedBatchAppliesNothing) {
  LeaseRecord kept = record("10.0.0.5", 1);
  this->apply_ok({change(Kind::grant, kept)});

  LeaseRecord renewed = kept;
  renewed.cltt += 100;
  LeaseRecord poison = record("10.0.0.99", 3);
  TypeParam::break_writes_of(*this->store_, this->dir_, poison.address);
  std::vector<LeaseChange> batch = {change(Kind::renew, renewed),
                                    change(Kind::grant, record("fd00::7", 2)),
                                    change(Kind::grant, record("10.0.0.7", 2)),
                                    change(Kind::grant, poison),
                                    change(Kind::grant, record("10.0.0.8", 4))};
  auto status = this->store_->apply(batch);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::io);
  EXPECT_THAT(status.error().message, HasSubstr("injected failure"));
  EXPECT_EQ(this->load_all(), std::vector<LeaseRecord>{kept});

  // The store is still usable.
  LeaseRecord next = record("10.0.0.9", 5);
  this->apply_ok({change(Kind::grant, next)});
  EXPECT_EQ(this->load_all(), (std::vector<LeaseRecord>{kept, next}));
}

TEST(OpenStore, Memory) {
  auto store = open_store(StoreConfig{"memory", ""});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->describe(), "memory");
}

TEST(OpenStore, Sqlite) {
  TempDir dir;
  std::string path = (dir.path() / "leases.db").string();
  auto store = open_store(StoreConfig{"sqlite", path});
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->describe(), "sqlite " + path);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(OpenStore, SqliteNeedsAName) {
  auto store = open_store(StoreConfig{"sqlite", ""});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_THAT(store.error().message, HasSubstr("file name"));
}

TEST(OpenStore, RejectsUnknownType) {
  auto store = open_store(StoreConfig{"mysql", "x"});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_EQ(store.error().message, R"(lease store type is neither "sqlite" nor "memory": "mysql")");
  store = open_store(StoreConfig{std::string(100, 'x'), ""});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error().message, HasSubstr("\"" + std::string(32, 'x') + "...\""));
}

}  // namespace
}  // namespace leasehold::store

namespace leasehold::store {
namespace {
TYPED_TEST(LeaseStoreTest, ReservationsArePutReplacedDeletedAndLoadedInIdOrder) {
  ASSERT_TRUE(this->store_->put_reservation("public-key:b", R"({"x":1})"));
  ASSERT_TRUE(this->store_->put_reservation("public-key:a", R"({"x":2})"));
  ASSERT_TRUE(this->store_->put_reservation("public-key:b", R"({"x":3})"));  // replaces
  this->apply_ok({change(LeaseChange::Kind::grant, record("10.0.0.5", 1))});  // leases unaffected
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(this->store_->load_reservations([&](const std::string& id, const std::string& body) { seen.emplace_back(id, body); }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("public-key:a"), std::string(R"({"x":2})")));
  EXPECT_EQ(seen[1], std::make_pair(std::string("public-key:b"), std::string(R"({"x":3})")));
  ASSERT_TRUE(this->store_->delete_reservation("public-key:a"));
  ASSERT_TRUE(this->store_->delete_reservation("absent"));
  seen.clear();
  ASSERT_TRUE(this->store_->load_reservations([&](const std::string& id, const std::string& body) { seen.emplace_back(id, body); }));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(this->load_all().size(), 1u);
}
}  // namespace
}  // namespace leasehold::store

// --- The journal (every backend) ---

namespace leasehold::store {
namespace {

namespace journal {

LeaseChange at(Kind kind, LeaseRecord r, std::int64_t time) { return LeaseChange{kind, std::move(r), time}; }

// Runs housekeeping to the end, as the store thread does when idle.
void tidy_all(LeaseStore& store) {
  for (int i = 0; i < 1000; ++i) {
    auto more = store.tidy();
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) return;
  }
  FAIL() << "tidy() never finished";
}

std::vector<std::uint64_t> revisions(const std::vector<JournalEntry>& entries) {
  std::vector<std::uint64_t> out;
  for (const auto& e : entries) out.push_back(e.revision);
  return out;
}

}  // namespace journal

TYPED_TEST(LeaseStoreTest, JournalNumbersChangesInOrderAndKeepsTheirTimes) {
  using journal::at;
  EXPECT_EQ(this->store_->last_revision(), 0u);
  this->apply_ok({at(Kind::grant, record("10.0.0.1", 1), 100), at(Kind::grant, record("10.0.0.2", 2), 101),
                  at(Kind::grant, record("2001:db8::1", 3), 102)});
  EXPECT_EQ(this->store_->last_revision(), 3u);
  this->apply_ok({at(Kind::renew, record("10.0.0.1", 1), 200), at(Kind::remove, record("10.0.0.2", 2), 201)});
  EXPECT_EQ(this->store_->last_revision(), 5u);

  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto all = (*reader)->read(0, 100);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(journal::revisions(*all), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ((*all)[3].change.kind, Kind::renew);
  EXPECT_EQ((*all)[3].change.at, 200);
  EXPECT_EQ((*all)[4].change.kind, Kind::remove);
  EXPECT_EQ((*all)[4].change.record.address, addr("10.0.0.2"));
  EXPECT_EQ((*all)[2].change.record, record("2001:db8::1", 3));

  auto page = (*reader)->read(3, 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(journal::revisions(*page), (std::vector<std::uint64_t>{4}));
  auto none = (*reader)->read(5, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto bounds = (*reader)->bounds();
  ASSERT_TRUE(bounds.ok());
  EXPECT_EQ(bounds->last_revision, 5u);
  EXPECT_EQ(bounds->compacted_through, 0u);
}

TYPED_TEST(LeaseStoreTest, JournalFindsTheFirstChangeAtOrAfterATime) {
  using journal::at;
  this->apply_ok({at(Kind::grant, record("10.0.0.1", 1), 100)});
  this->apply_ok({at(Kind::grant, record("10.0.0.2", 2), 200)});
  this->apply_ok({at(Kind::grant, record("10.0.0.3", 3), 300)});
  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok());
  auto before = [&](std::int64_t t) { return *(*reader)->revision_before(t); };
  EXPECT_EQ(before(0), 0u);
  EXPECT_EQ(before(100), 0u);
  EXPECT_EQ(before(150), 1u);
  EXPECT_EQ(before(200), 1u);
  EXPECT_EQ(before(300), 2u);
  EXPECT_EQ(before(301), 3u);  // nothing that new: read after the last revision
}

TYPED_TEST(LeaseStoreTest, JournalDropsEntriesBeyondTheCountButKeepsNumbering) {
  using journal::at;
  this->store_->set_journal_retention({3, 1'000'000});
  for (std::uint8_t i = 1; i <= 10; ++i)
    this->apply_ok({at(Kind::renew, record("10.0.0.1", 1), 1000 + i)});
  journal::tidy_all(*this->store_);
  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok());
  auto entries = (*reader)->read(0, 100);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(journal::revisions(*entries), (std::vector<std::uint64_t>{8, 9, 10}));
  auto bounds = (*reader)->bounds();
  ASSERT_TRUE(bounds.ok());
  EXPECT_EQ(bounds->compacted_through, 7u);
  EXPECT_EQ(bounds->compacted_at, 1007);
  EXPECT_EQ(bounds->last_revision, 10u);
  // The lease itself is untouched by compaction.
  EXPECT_EQ(this->load_all().size(), 1u);
}

TYPED_TEST(LeaseStoreTest, JournalDropsEntriesOlderThanTheWindowKeepingTombstonesInside) {
  using journal::at;
  this->store_->set_journal_retention({1'000'000, 100});
  this->apply_ok({at(Kind::grant, record("10.0.0.1", 1), 1000), at(Kind::grant, record("10.0.0.2", 2), 1050)});
  this->apply_ok({at(Kind::remove, record("10.0.0.2", 2), 1120)});
  this->apply_ok({at(Kind::renew, record("10.0.0.1", 1), 1160)});
  journal::tidy_all(*this->store_);
  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok());
  auto entries = (*reader)->read(0, 100);
  ASSERT_TRUE(entries.ok());
  // 1000 and 1050 are more than 100 s older than the newest entry (1160); the removal of
  // 10.0.0.2 stays as its tombstone.
  EXPECT_EQ(journal::revisions(*entries), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_EQ((*entries)[0].change.kind, Kind::remove);
  EXPECT_EQ((*reader)->bounds()->compacted_at, 1050);
}

TYPED_TEST(LeaseStoreTest, JournalSnapshotNamesTheRevisionItReflects) {
  using journal::at;
  this->apply_ok({at(Kind::grant, record("10.0.0.1", 1), 100), at(Kind::grant, record("10.0.0.2", 2), 100)});
  this->apply_ok({at(Kind::remove, record("10.0.0.1", 1), 101)});
  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok());
  std::vector<LeaseRecord> rows;
  auto revision = (*reader)->snapshot([&](const LeaseRecord& r) { rows.push_back(r); });
  ASSERT_TRUE(revision.ok()) << revision.error().message;
  EXPECT_EQ(*revision, 3u);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].address, addr("10.0.0.2"));
}

TYPED_TEST(LeaseStoreTest, JournalFailedBatchTakesNoRevision) {
  using journal::at;
  this->apply_ok({at(Kind::grant, record("10.0.0.1", 1), 100)});
  TypeParam::break_writes_of(*this->store_, this->dir_, addr("10.0.0.9"));
  EXPECT_FALSE(this->store_->apply(std::vector<LeaseChange>{at(Kind::grant, record("10.0.0.9", 9), 101)}).ok());
  this->apply_ok({at(Kind::grant, record("10.0.0.2", 2), 102)});
  EXPECT_EQ(this->store_->last_revision(), 2u);
  auto reader = this->store_->open_reader();
  ASSERT_TRUE(reader.ok());
  auto entries = (*reader)->read(0, 10);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(journal::revisions(*entries), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ((*entries)[1].change.record.address, addr("10.0.0.2"));
}

}  // namespace
}  // namespace leasehold::store
