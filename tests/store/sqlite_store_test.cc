// What SqliteStore must do beyond the LeaseStore contract (lease_store_test.cc): persist,
// guard its schema, report damaged files and rows, and survive full disks and locks.
#include "store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace leasehold::store {
namespace {

using lease::LeaseChange;
using lease::LeaseRecord;
using ::testing::HasSubstr;
using Kind = LeaseChange::Kind;

using leasehold::testing::TempDir;

// A second, raw connection to the same file: how tests reach behind the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << "cannot open " << path;
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    else
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

lease::PublicKey key_of(std::uint64_t seed) {
  // A cheap mix, so keys spread over the public_key index the way real keys do.
  std::array<std::uint8_t, lease::PublicKey::kSize> bytes{};
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  for (auto& b : bytes) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    b = static_cast<std::uint8_t>(x >> 56);
  }
  return lease::PublicKey(bytes);
}

LeaseRecord record(net::Address address, std::uint64_t key_seed) {
  LeaseRecord r;
  r.address = address;
  r.key = key_of(key_seed);
  r.subnet_id = 1;
  r.cltt = 1'700'000'000;
  r.valid_lifetime = 3600;
  return r;
}

LeaseRecord record4(std::uint32_t n) { return record(net::Address::v4(0x0a000000u + n), n); }
LeaseRecord record6(std::uint32_t n) {
  return record(net::Address::v6((net::uint128{0xfd00} << 112) + n), 1'000'000'000ull + n);
}

std::vector<LeaseChange> grants(std::uint32_t first, std::uint32_t count, bool v6 = false,
                                std::size_t hostname_bytes = 0) {
  std::vector<LeaseChange> batch;
  batch.reserve(count);
  for (std::uint32_t i = first; i < first + count; ++i) {
    LeaseRecord r = v6 ? record6(i) : record4(i);
    r.hostname.assign(hostname_bytes, 'h');
    batch.push_back(LeaseChange{Kind::grant, std::move(r)});
  }
  return batch;
}

std::unique_ptr<SqliteStore> open_ok(const std::string& path, const SqliteOptions& options = {}) {
  auto store = SqliteStore::open(path, options);
  EXPECT_TRUE(store.ok()) << store.error().message;
  return store.ok() ? std::move(*store) : nullptr;
}

std::vector<LeaseRecord> load_all(LeaseStore& store) {
  std::vector<LeaseRecord> rows;
  auto status = store.load([&](const LeaseRecord& r) { rows.push_back(r); });
  EXPECT_TRUE(status.ok()) << status.error().message;
  return rows;
}

TEST(SqliteStore, CreatesVersionedSchemaInWalMode) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  ASSERT_NE(open_ok(path), nullptr);
  RawDb raw(path);
  EXPECT_EQ(raw.text("SELECT version FROM schema_version"), "2");
  EXPECT_EQ(raw.text("SELECT count(*) FROM schema_version"), "1");
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  // No key index: grants must not pay for one (see the schema comment).
  EXPECT_EQ(raw.text("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND sql LIKE '%public_key%'"),
            "0");
}

TEST(SqliteStore, PersistsAcrossReopen) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  std::vector<LeaseChange> batch = grants(1, 50);
  auto more = grants(1, 50, /*v6=*/true, /*hostname_bytes=*/10);
  batch.insert(batch.end(), more.begin(), more.end());
  batch.push_back(LeaseChange{Kind::remove, record4(7)});
  std::vector<LeaseRecord> want;
  {
    auto store = open_ok(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->apply(batch).ok());
    want = load_all(*store);
    ASSERT_EQ(want.size(), 99u);
  }
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load_all(*store), want);
}

TEST(SqliteStore, CommittedBatchSurvivesAProcessThatDiesWithoutClosing) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = SqliteStore::open(path);
    bool ok = store.ok() && (*store)->apply(grants(1, 10)).ok();
    _exit(ok ? 0 : 1);  // no destructors: the connection is never closed
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load_all(*store).size(), 10u);
}

TEST(SqliteStore, RefusesNewerSchemaVersion) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  ASSERT_NE(open_ok(path), nullptr);
  RawDb(path).exec("UPDATE schema_version SET version = 3");
  auto store = SqliteStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_EQ(store.error().message, "lease database " + path +
                                       ": database schema version 3 is newer than this program "
                                       "supports (2)");
}

TEST(SqliteStore, RefusesGarbageFile) {
  TempDir dir;
  for (std::size_t size : {20, 8192}) {
    std::string path = dir.file(("garbage" + std::to_string(size)).c_str());
    {
      std::ofstream out(path, std::ios::binary);
      for (std::size_t i = 0; i < size; ++i) out.put(static_cast<char>('a' + i % 26));
    }
    auto store = SqliteStore::open(path);
    ASSERT_FALSE(store.ok()) << size;
    EXPECT_EQ(store.error().code, Errc::corruption);
    EXPECT_THAT(store.error().message, HasSubstr(path));
    EXPECT_THAT(store.error().message, HasSubstr("file is not a database"));
    EXPECT_EQ(std::filesystem::file_size(path), size) << "the file must be left alone";
  }
}

TEST(SqliteStore, RefusesSomeoneElsesDatabase) {
  TempDir dir;
  std::string path = dir.file("other.db");
  RawDb(path).exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)");
  auto store = SqliteStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().message,
            "lease database " + path + ": not a leasehold lease database (it has tables but no schema_version)");
  EXPECT_EQ(RawDb(path).text("PRAGMA journal_mode"), "delete") << "the file must be left alone";
}

TEST(SqliteStore, ReportsUnopenablePath) {
  TempDir dir;
  std::string path = dir.file("missing-dir/leases.db");
  auto store = SqliteStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::io);
  EXPECT_THAT(store.error().message, HasSubstr(path));
}

TEST(SqliteStore, ShortKeyIsCorruption) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->apply(grants(1, 3, /*v6=*/true)).ok());
  ASSERT_TRUE(store->fold_all().ok());  // into lease6, where the corruption is planted
  RawDb(path).exec("UPDATE lease6 SET public_key = zeroblob(31) WHERE address = (SELECT max(address) FROM lease6)");

  std::size_t visited = 0;
  auto status = store->load([&](const LeaseRecord&) { ++visited; });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::corruption);
  EXPECT_EQ(status.error().message, "lease6 row 3: public key is 31 bytes (address fd00::3)");
  EXPECT_EQ(visited, 2u);

  auto one = store->get(record6(3).address);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, Errc::corruption);
  // The store still works, and the other rows are still readable.
  EXPECT_TRUE(store->apply(grants(10, 1)).ok());
  auto fine = store->get(record6(2).address);
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_EQ(**fine, record6(2));
}

TEST(SqliteStore, BadValuesAreCorruption) {
  struct Case {
    const char* sql;
    const char* message;
  };
  const Case cases[] = {
      {"UPDATE lease4 SET state = 7 WHERE address = 167772162",
       "lease4 row 2: state 7 is out of range 0-2 (address 10.0.0.2)"},
      {"UPDATE lease4 SET valid_lifetime = -1 WHERE address = 167772162",
       "lease4 row 2: valid_lifetime -1 is out of range 0-4294967295 (address 10.0.0.2)"},
      {"UPDATE lease4 SET cltt = 'soon' WHERE address = 167772162",
       "lease4 row 2: cltt is text, not an integer (address 10.0.0.2)"},
      {"UPDATE lease4 SET address = 4294967296 WHERE address = 167772162",
       "lease4 row 3: address 4294967296 is out of range 0-4294967295"},
      {"UPDATE lease6 SET address = x'00' WHERE address = (SELECT min(address) FROM lease6)",
       "lease6 row 1: address is 1 bytes"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    std::string path = dir.file("leases.db");
    auto store = open_ok(path);
    ASSERT_NE(store, nullptr);
    auto batch = grants(1, 3);
    auto v6 = grants(1, 3, /*v6=*/true);
    batch.insert(batch.end(), v6.begin(), v6.end());
    ASSERT_TRUE(store->apply(batch).ok());
    ASSERT_TRUE(store->fold_all().ok());
    RawDb(path).exec(c.sql);
    auto status = store->load([](const LeaseRecord&) {});
    ASSERT_FALSE(status.ok()) << c.sql;
    EXPECT_EQ(status.error().code, Errc::corruption);
    EXPECT_EQ(status.error().message, c.message);
  }
}

TEST(SqliteStore, FullDatabaseFailsTheWholeBatchAndRecovers) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  SqliteOptions options;
  options.max_page_count = 12;  // the empty schema takes 6 pages of 4 KiB
  auto store = open_ok(path, options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->apply(grants(1, 10)).ok());

  auto status = store->apply(grants(100, 1000, false, 40));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::io);
  EXPECT_THAT(status.error().message, HasSubstr("apply: log grant 10.0."));
  EXPECT_THAT(status.error().message, HasSubstr("database or disk is full"));
  EXPECT_EQ(load_all(*store).size(), 10u);

  // Still usable: small batches fit, and removing rows makes room.
  ASSERT_TRUE(store->apply(grants(20, 5)).ok());
  std::vector<LeaseChange> removals;
  for (std::uint32_t i = 1; i <= 10; ++i) removals.push_back(LeaseChange{Kind::remove, record4(i)});
  ASSERT_TRUE(store->apply(removals).ok());
  EXPECT_EQ(load_all(*store).size(), 5u);
}

TEST(SqliteStore, FullFileSystemFailsTheWholeBatchAndRecovers) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  if (mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=256k") != 0)
    GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{dir.path().string()};

  std::string path = dir.file("leases.db");
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->apply(grants(1, 10)).ok());

  std::string filler = dir.file("filler");
  {
    FILE* f = std::fopen(filler.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size() && std::fflush(f) == 0) {
    }
    std::fclose(f);
  }
  auto status = store->apply(grants(100, 500, false, 40));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::io);
  EXPECT_THAT(status.error().message, HasSubstr("apply"));
  std::printf("[ info     ] full tmpfs: %s\n", status.error().message.c_str());
  EXPECT_EQ(load_all(*store).size(), 10u);

  std::filesystem::remove(filler);
  status = store->apply(grants(100, 500, false, 40));
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(load_all(*store).size(), 510u);
  store.reset();
  store = open_ok(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(load_all(*store).size(), 510u);
}

TEST(SqliteStore, LockedDatabaseFailsAfterBusyTimeoutAndRecovers) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  SqliteOptions options;
  options.busy_timeout_ms = 50;
  auto store = open_ok(path, options);
  ASSERT_NE(store, nullptr);
  RawDb other(path);
  other.exec("BEGIN IMMEDIATE");
  auto status = store->apply(grants(1, 3));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::io);
  EXPECT_EQ(status.error().message, "apply: begin transaction: database is locked");
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_TRUE(load_all(*store).empty());
  other.exec("COMMIT");
  ASSERT_TRUE(store->apply(grants(1, 3)).ok());
  EXPECT_EQ(load_all(*store).size(), 3u);
}

// Not a pass/fail test: prints the numbers that matter for the server's sizing. Wall time
// includes fsync; CPU time is this process alone, for machines shared with other work.
TEST(SqliteStore, ReportsThroughput) {
  struct Timer {
    std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
    std::clock_t cpu = std::clock();
    double wall_s() const {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
    }
    double cpu_s() const { return static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC; }
  };
  TempDir dir;
  std::string path = dir.file("leases.db");
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);

  constexpr std::uint32_t kRows = 100'000;
  for (std::uint32_t batch_size : {100u, 10'000u}) {
    bool v6 = batch_size != 100;  // a second set of rows, so both runs insert
    std::vector<std::vector<LeaseChange>> batches;
    for (std::uint32_t i = 0; i < kRows; i += batch_size) batches.push_back(grants(i, batch_size, v6));
    Timer timer;
    for (const auto& batch : batches) ASSERT_TRUE(store->apply(batch).ok());
    double wall = timer.wall_s(), cpu = timer.cpu_s();
    std::printf("[ numbers  ] sqlite apply: %u %s rows in batches of %u: %.0f rows/s, %.2f ms/commit, "
                "cpu %.2f us/row\n",
                kRows, v6 ? "v6" : "v4", batch_size, kRows / wall, 1000 * wall / (kRows / batch_size),
                1e6 * cpu / kRows);
  }

  store.reset();
  store = open_ok(path);
  ASSERT_NE(store, nullptr);
  std::size_t rows = 0;
  Timer timer;
  ASSERT_TRUE(store->load([&](const LeaseRecord&) { ++rows; }).ok());
  double wall = timer.wall_s(), cpu = timer.cpu_s();
  EXPECT_EQ(rows, 2 * kRows);
  std::printf("[ numbers  ] sqlite load: %zu rows in %.3f s (cpu %.3f s), %.2f us/row\n", rows, wall, cpu,
              1e6 * wall / static_cast<double>(rows));
}

}  // namespace
}  // namespace leasehold::store

namespace leasehold::store {
namespace {

std::vector<std::uint64_t> journal_revisions(JournalReader& reader) {
  auto entries = reader.read(0, 1'000'000);
  EXPECT_TRUE(entries.ok()) << entries.error().message;
  std::vector<std::uint64_t> out;
  if (entries.ok())
    for (const auto& e : *entries) out.push_back(e.revision);
  return out;
}

TEST(SqliteJournal, SurvivesCloseFoldAndReopenAndRevisionsContinue) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store->apply(std::vector<LeaseChange>{{Kind::grant, record4(1), 100}, {Kind::grant, record4(2), 101}}).ok());
    ASSERT_TRUE(store->fold_all().ok());
    EXPECT_EQ(store->change_log_size(), 0u);  // folded, yet still in the journal
  }
  auto store = open_ok(path);
  EXPECT_EQ(store->last_revision(), 2u);
  ASSERT_TRUE(store->apply(std::vector<LeaseChange>{{Kind::remove, record4(1), 200}}).ok());
  EXPECT_EQ(store->last_revision(), 3u);
  auto reader = store->open_reader();
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(journal_revisions(**reader), (std::vector<std::uint64_t>{1, 2, 3}));
  // Reads of the leases see folded rows and the unfolded removal alike.
  std::vector<LeaseRecord> rows;
  ASSERT_TRUE(store->load([&](const LeaseRecord& r) { rows.push_back(r); }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].address, record4(2).address);
}

TEST(SqliteJournal, RevisionsNeverRepeatAfterCompactionEmptiedTheJournal) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  {
    auto store = open_ok(path);
    store->set_journal_retention({0, 1'000'000});
    ASSERT_TRUE(store->apply(std::vector<LeaseChange>{{Kind::grant, record4(1), 100}, {Kind::grant, record4(2), 100}}).ok());
    ASSERT_TRUE(store->fold_all().ok());
    for (int i = 0; i < 10 && *store->tidy(); ++i) {
    }
    auto reader = store->open_reader();
    ASSERT_TRUE(reader.ok());
    EXPECT_TRUE(journal_revisions(**reader).empty());
    EXPECT_EQ((*reader)->bounds()->compacted_through, 2u);
  }
  auto store = open_ok(path);
  EXPECT_EQ(store->last_revision(), 2u);
  ASSERT_TRUE(store->apply(std::vector<LeaseChange>{{Kind::renew, record4(1), 300}}).ok());
  EXPECT_EQ(store->last_revision(), 3u);
}

TEST(SqliteJournal, UpgradesASchema1FileKeepingItsUnfoldedLog) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  {
    RawDb raw(path);
    raw.exec(R"(
      CREATE TABLE schema_version (version INTEGER NOT NULL);
      INSERT INTO schema_version (version) VALUES (1);
      CREATE TABLE lease4 (address INTEGER PRIMARY KEY, public_key BLOB(32) NOT NULL, subnet_id INTEGER NOT NULL,
        cltt INTEGER NOT NULL, valid_lifetime INTEGER NOT NULL, state INTEGER NOT NULL, hostname TEXT, user_context TEXT);
      CREATE TABLE lease6 (address BLOB(16) PRIMARY KEY, public_key BLOB(32) NOT NULL, subnet_id INTEGER NOT NULL,
        cltt INTEGER NOT NULL, valid_lifetime INTEGER NOT NULL, state INTEGER NOT NULL, hostname TEXT, user_context TEXT)
        WITHOUT ROWID;
      CREATE TABLE change_log (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, address BLOB NOT NULL,
        public_key BLOB(32) NOT NULL, subnet_id INTEGER NOT NULL, cltt INTEGER NOT NULL,
        valid_lifetime INTEGER NOT NULL, state INTEGER NOT NULL, hostname TEXT, user_context TEXT);
      INSERT INTO change_log VALUES (5, 0, x'0a000001', zeroblob(32), 7, 1700000000, 3600, 0, NULL, NULL);
    )");
  }
  auto store = open_ok(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawDb(path).text("SELECT version FROM schema_version"), "2");
  EXPECT_EQ(store->last_revision(), 5u);
  EXPECT_EQ(store->change_log_size(), 1u);
  std::vector<LeaseRecord> rows;
  ASSERT_TRUE(store->load([&](const LeaseRecord& r) { rows.push_back(r); }).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].address, net::Address::v4(0x0a000001u));
}

TEST(SqliteJournal, ReaderConnectionCannotWrite) {
  TempDir dir;
  std::string path = dir.file("leases.db");
  auto store = open_ok(path);
  SqliteOptions options;
  options.read_only = true;
  auto reader = SqliteStore::open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_FALSE((*reader)->apply(std::vector<LeaseChange>{{Kind::grant, record4(1), 1}}).ok());
}

}  // namespace
}  // namespace leasehold::store
