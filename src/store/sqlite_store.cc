#include "store/sqlite_store.h"

#include "store/sqlite_rows.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <limits>

namespace leasehold::store {
namespace {

using rows::bind_address;
using rows::bind_fields;
using rows::bind_optional_text;
using rows::kColumns;
using rows::kLogColumns;
using rows::read_log_row;
using rows::read_row;

using lease::LeaseChange;
using lease::LeaseRecord;

// Kept small on purpose: the server must stay near 200 bytes of RSS per lease, and the
// OS page cache serves re-reads just as well.
constexpr const char* kPragmas =
    "PRAGMA synchronous = FULL;"          // with WAL: the commit is fsynced before COMMIT returns
    "PRAGMA cache_size = -4096;"          // KiB
    "PRAGMA mmap_size = 0;"
    "PRAGMA journal_size_limit = 33554432;";  // trim the WAL file back to 32 MiB after checkpoints

// No index on public_key: the engine finds a peer's leases in memory, and a random 32-byte
// key per row would make every grant dirty one more page (measured: 2-3x the write cost).
// get_by_key() therefore scans; it is for administration, not for the request path.
constexpr const char* kSchema = R"(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (2);
CREATE TABLE lease4 (
  address INTEGER PRIMARY KEY,  -- the IPv4 address as a number
  public_key BLOB(32) NOT NULL,
  subnet_id INTEGER NOT NULL,
  cltt INTEGER NOT NULL,  -- seconds since the epoch
  valid_lifetime INTEGER NOT NULL,  -- seconds from cltt
  state INTEGER NOT NULL,  -- 0 assigned, 1 declined, 2 expired-reclaimed (as in Kea)
  hostname TEXT,  -- NULL when empty
  user_context TEXT  -- JSON text, NULL when empty
);
CREATE TABLE lease6 (
  address BLOB(16) PRIMARY KEY,  -- network byte order, so blob order is address order
  public_key BLOB(32) NOT NULL,
  subnet_id INTEGER NOT NULL,
  cltt INTEGER NOT NULL,
  valid_lifetime INTEGER NOT NULL,
  state INTEGER NOT NULL,
  hostname TEXT,
  user_context TEXT
) WITHOUT ROWID;
CREATE TABLE change_log (
  seq INTEGER PRIMARY KEY,  -- revision: grows with every change, never reused
  kind INTEGER NOT NULL,    -- 0 grant, 1 renew, 2 release, 3 expire, 4 remove
  address BLOB NOT NULL,    -- 4 or 16 bytes, network byte order
  public_key BLOB(32) NOT NULL,
  subnet_id INTEGER NOT NULL,
  cltt INTEGER NOT NULL,
  valid_lifetime INTEGER NOT NULL,
  state INTEGER NOT NULL,
  hostname TEXT,
  user_context TEXT,
  at INTEGER NOT NULL DEFAULT 0  -- when the engine made the change (journal time)
);
CREATE TABLE store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO store_meta VALUES ('folded_through', 0), ('compacted_through', 0), ('compacted_at', 0);
)";

// Schema 1 deleted folded log entries; 2 keeps them as the journal. Every entry of a
// schema-1 log is still unfolded, so the marks start at 0.
constexpr const char* kUpgrade1To2 = R"(
ALTER TABLE change_log ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE store_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO store_meta VALUES ('folded_through', 0), ('compacted_through', 0), ('compacted_at', 0);
UPDATE schema_version SET version = 2;
)";


// Reads the single integer a query returns; `what` names the query in errors.
Result<std::int64_t> query_int(sqlite3* db, const char* sql, std::string_view what) {
  auto stmt = sqlite::prepare(db, sql, what);
  if (!stmt) return stmt.error();
  sqlite::ResetOnExit reset(stmt->get());
  int rc = sqlite3_step(stmt->get());
  if (rc == SQLITE_DONE) return make_error(Errc::corruption, std::string(what) + ": no row");
  if (rc != SQLITE_ROW) return sqlite::db_error(db, rc, what);
  if (sqlite3_column_type(stmt->get(), 0) != SQLITE_INTEGER)
    return make_error(Errc::corruption, std::string(what) + ": not an integer");
  std::int64_t value = sqlite3_column_int64(stmt->get(), 0);
  if (sqlite3_step(stmt->get()) != SQLITE_DONE)
    return make_error(Errc::corruption, std::string(what) + ": more than one row");
  return value;
}

constexpr const char* kReservationTable =
    "CREATE TABLE IF NOT EXISTS reservation (id TEXT PRIMARY KEY NOT NULL, body TEXT NOT NULL) WITHOUT ROWID";

// The schema version in the file, or 0 for a file with no tables yet.
Result<std::int64_t> read_schema_version(sqlite3* db) {
  auto tables = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                          "cannot read schema");
  if (!tables) return tables.error();
  if (*tables == 0) return std::int64_t{0};
  auto has_version = query_int(
      db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
      "cannot read schema");
  if (!has_version) return has_version.error();
  if (*has_version == 0)
    return make_error(Errc::invalid_argument,
                      "not a leasehold lease database (it has tables but no schema_version)");
  auto version = query_int(db, "SELECT version FROM schema_version", "cannot read schema_version");
  if (!version) return version.error();
  if (*version > SqliteStore::kSchemaVersion)
    return make_error(Errc::invalid_argument,
                      "database schema version " + std::to_string(*version) +
                          " is newer than this program supports (" +
                          std::to_string(SqliteStore::kSchemaVersion) + ")");
  if (*version < 1)
    return make_error(Errc::corruption,
                      "schema_version holds " + std::to_string(*version) + ", expected 1 or 2");
  return version;
}

Status enable_wal(sqlite3* db) {
  const char* what = "cannot switch to WAL journal";
  auto stmt = sqlite::prepare(db, "PRAGMA journal_mode = WAL", what);
  if (!stmt) return stmt.error();
  sqlite::ResetOnExit reset(stmt->get());
  int rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_ROW) return sqlite::db_error(db, rc, what);
  // SQLite answers with the mode now in force; it stays "delete" where WAL is impossible.
  const unsigned char* mode = sqlite3_column_text(stmt->get(), 0);
  if (mode == nullptr || std::strcmp(reinterpret_cast<const char*>(mode), "wal") != 0)
    return make_error(Errc::io, std::string(what) + ": journal_mode is still " +
                                    (mode != nullptr ? reinterpret_cast<const char*>(mode) : "unknown"));
  return {};
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const SqliteOptions& options) {
  // NOMUTEX: the store is used from one thread at a time, so SQLite's own locking is waste.
  auto db = sqlite::open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!db) return db.error();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(*db)));
  store->options_ = options;
  Status status = store->configure(options);
  if (status) status = store->prepare_statements();
  if (status && !options.read_only) status = store->read_counters();
  if (!status) return make_error(status.error().code, "lease database " + path + ": " + status.error().message);
  return store;
}

Status SqliteStore::configure(const SqliteOptions& options) {
  sqlite3* db = db_.get();
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  // Check the file before changing anything in it: a foreign or newer database is left as
  // it was (switching it to WAL would rewrite its header).
  auto version = read_schema_version(db);
  if (!version) return version.error();

  if (auto s = enable_wal(db); !s) return s;
  if (auto s = sqlite::exec(db, kPragmas, "cannot set pragmas"); !s) return s;
  if (options.max_page_count > 0) {
    std::string sql = "PRAGMA max_page_count = " + std::to_string(options.max_page_count);
    if (auto s = sqlite::exec(db, sql.c_str(), "cannot set max_page_count"); !s) return s;
  }
  if (options.read_only) {
    if (*version != kSchemaVersion)
      return make_error(Errc::unavailable, "a reader needs the writer to have opened the file first");
    return {};
  }
  if (*version == kSchemaVersion)
    return sqlite::exec(db, kReservationTable, "cannot create the reservation table");

  // A new or older file. Look again under the write lock, in case another process created
  // or upgraded the schema in between.
  if (auto s = sqlite::exec(db, "BEGIN IMMEDIATE", "cannot create schema"); !s) return s;
  auto again = read_schema_version(db);
  Status status = again ? Status() : Status(again.error());
  if (status && *again == 0) status = sqlite::exec(db, kSchema, "cannot create schema");
  if (status && *again == 1) status = sqlite::exec(db, kUpgrade1To2, "cannot upgrade schema 1 to 2");
  // Reservations came after schema 1; the table is added to older files as they open.
  if (status) status = sqlite::exec(db, kReservationTable, "cannot create the reservation table");
  if (status) status = sqlite::exec(db, "COMMIT", "cannot create schema");
  if (!status && sqlite3_get_autocommit(db) == 0)
    (void)sqlite::exec(db, "ROLLBACK", "cannot create schema");
  return status;
}

Status SqliteStore::prepare_statements() {
  sqlite3* db = db_.get();
  auto prepare = [db](sqlite::Stmt& out, const std::string& sql, std::string_view what) -> Status {
    auto stmt = sqlite::prepare(db, sql, what);
    if (!stmt) return stmt.error();
    out = std::move(*stmt);
    return {};
  };
  const std::string columns(kColumns);
  Status status = prepare(begin_write_, "BEGIN IMMEDIATE", "prepare begin");
  if (status) status = prepare(begin_read_, "BEGIN", "prepare begin");
  if (status) status = prepare(commit_, "COMMIT", "prepare commit");
  if (status) status = prepare(rollback_, "ROLLBACK", "prepare rollback");
  const std::string log_columns(kLogColumns);
  const std::string unfolded = " FROM change_log WHERE seq > (SELECT value FROM store_meta WHERE name = 'folded_through')";
  if (status)
    status = prepare(log_append_,
                     "INSERT INTO change_log (kind, address, public_key, subnet_id, cltt, valid_lifetime, state, "
                     "hostname, user_context, seq, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                     "prepare change_log append");
  if (status) status = prepare(log_scan_, "SELECT " + log_columns + unfolded + " ORDER BY seq", "prepare change_log scan");
  if (status)
    status = prepare(log_head_, "SELECT " + log_columns + unfolded + " ORDER BY seq LIMIT ?1",
                     "prepare change_log head");
  if (status) status = prepare(meta_get_, "SELECT value FROM store_meta WHERE name = ?1", "prepare store_meta get");
  if (status) status = prepare(meta_set_, "UPDATE store_meta SET value = ?2 WHERE name = ?1", "prepare store_meta set");
  if (status)
    status = prepare(journal_read_, "SELECT " + log_columns + " FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                     "prepare journal read");
  if (status)
    status = prepare(journal_before_, "SELECT seq FROM change_log WHERE at >= ?1 ORDER BY seq LIMIT 1",
                     "prepare journal time lookup");
  if (status) status = prepare(journal_last_, "SELECT max(seq) FROM change_log", "prepare journal last");
  // The oldest entries with their times; compaction walks these.
  if (status)
    status = prepare(journal_oldest_, "SELECT seq, at FROM change_log WHERE seq <= ?1 ORDER BY seq LIMIT ?2",
                     "prepare journal oldest");
  if (status) status = prepare(journal_drop_, "DELETE FROM change_log WHERE seq <= ?1", "prepare journal drop");
  v4_.name = "lease4";
  v6_.name = "lease6";
  for (Table* table : {&v4_, &v6_}) {
    const std::string name = table->name;
    const std::string select = "SELECT " + columns + " FROM " + name;
    if (status)
      status = prepare(table->update,
                       "UPDATE " + name +
                           " SET subnet_id = ?3, cltt = ?4, valid_lifetime = ?5, state = ?6, "
                           "hostname = ?7, user_context = ?8 WHERE address = ?1 AND public_key = ?2",
                       "prepare " + name + " update");
    if (status)
      status = prepare(table->upsert,
                       "INSERT INTO " + name + " (" + columns +
                           ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (address) DO UPDATE SET "
                           "public_key = excluded.public_key, subnet_id = excluded.subnet_id, "
                           "cltt = excluded.cltt, valid_lifetime = excluded.valid_lifetime, "
                           "state = excluded.state, hostname = excluded.hostname, "
                           "user_context = excluded.user_context",
                       "prepare " + name + " upsert");
    if (status)
      status = prepare(table->remove, "DELETE FROM " + name + " WHERE address = ?1",
                       "prepare " + name + " delete");
    if (status)
      status = prepare(table->get, select + " WHERE address = ?1", "prepare " + name + " get");
    if (status)
      status = prepare(table->by_key, select + " WHERE public_key = ?1 ORDER BY address",
                       "prepare " + name + " get_by_key");
    if (status)
      status = prepare(table->scan, select + " ORDER BY address", "prepare " + name + " scan");
  }
  return status;
}

void SqliteStore::rollback() {
  if (sqlite3_get_autocommit(db_.get()) != 0) return;  // SQLite already rolled back
  // If even this fails, the next apply() tries again before it begins.
  (void)sqlite::run(rollback_.get(), "rollback");
}

SqliteStore::~SqliteStore() {
  // A clean close leaves no unfolded log behind, so the next start reads only the tables.
  if (!options_.read_only) (void)fold_all();
}

Result<std::unique_ptr<JournalReader>> SqliteStore::open_reader() {
  SqliteOptions options = options_;
  options.read_only = true;
  auto reader = open(path_, options);
  if (!reader) return reader.error();
  return std::unique_ptr<JournalReader>(std::move(*reader));
}

Result<std::int64_t> SqliteStore::meta(const char* name) {
  sqlite3_stmt* stmt = meta_get_.get();
  sqlite::ResetOnExit reset(stmt);
  int rc = sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? make_error(Errc::corruption, std::string("store_meta has no ") + name)
                                                 : sqlite::db_error(db_.get(), rc, std::string("read store_meta ") + name);
  return static_cast<std::int64_t>(sqlite3_column_int64(stmt, 0));
}

Status SqliteStore::set_meta(const char* name, std::int64_t value) {
  sqlite3_stmt* stmt = meta_set_.get();
  int rc = sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 2, value);
  if (rc != SQLITE_OK) return sqlite::db_error(db_.get(), rc, std::string("write store_meta ") + name);
  return sqlite::run(stmt, std::string("write store_meta ") + name);
}

// The writer's view of the journal: where revisions continue, what is folded, how many
// entries still wait for folding.
Status SqliteStore::read_counters() {
  auto folded = meta("folded_through");
  if (!folded) return folded.error();
  auto compacted = meta("compacted_through");
  if (!compacted) return compacted.error();
  auto unfolded = query_int(db_.get(),
                            "SELECT count(*) FROM change_log WHERE seq > (SELECT value FROM store_meta WHERE name = 'folded_through')",
                            "cannot count change_log");
  if (!unfolded) return unfolded.error();
  auto newest = query_int(db_.get(), "SELECT coalesce(max(seq), 0) FROM change_log", "cannot read the newest revision");
  if (!newest) return newest.error();
  folded_through_ = static_cast<std::uint64_t>(*folded);
  compacted_through_ = static_cast<std::uint64_t>(*compacted);
  log_rows_ = static_cast<std::size_t>(*unfolded);
  // Revisions never repeat, even when compaction has emptied the table.
  last_revision_ = std::max({static_cast<std::uint64_t>(*newest), folded_through_, compacted_through_});
  return {};
}

Status SqliteStore::apply(std::span<const LeaseChange> batch) {
  if (batch.empty()) return {};
  if (options_.read_only) return make_error(Errc::invalid_argument, "apply on a read-only store connection");
  rollback();
  Status status = sqlite::run(begin_write_.get(), "apply: begin transaction");
  std::uint64_t revision = last_revision_;
  for (const auto& change : batch) {
    if (!status) break;
    status = append(++revision, change);
  }
  if (status) status = sqlite::run(commit_.get(), "apply: commit");
  if (!status) {
    rollback();
    // One code for every write failure: the caller can only report it and retry later.
    return make_error(Errc::io, status.error().message);
  }
  last_revision_ = revision;
  log_rows_ += batch.size();
  // Folding and compaction are housekeeping: the batch is already durable, so a failure
  // (a full disk) only leaves the log longer until a later attempt succeeds.
  if (log_rows_ > options_.max_log_entries && !fold(options_.fold_chunk)) rollback();
  std::uint64_t kept = last_revision_ - compacted_through_;
  if (kept > retention_.max_entries + options_.fold_chunk && !compact(options_.fold_chunk)) rollback();
  return {};
}

Result<bool> SqliteStore::tidy() {
  if (log_rows_ > 0) {
    if (auto st = fold(options_.fold_chunk); !st) return st.error();
    return true;
  }
  auto dropped = compact(options_.fold_chunk);
  if (!dropped) return dropped.error();
  return *dropped > 0;
}

Result<std::size_t> SqliteStore::compact(std::size_t max_entries) {
  std::uint64_t by_count = last_revision_ > retention_.max_entries ? last_revision_ - retention_.max_entries : 0;
  std::uint64_t limit = std::min(folded_through_, by_count);  // never drop what is not folded
  rollback();
  Status status = sqlite::run(begin_write_.get(), "compact: begin transaction");
  // The newest entry's time is the journal's "now" for the age limit.
  std::int64_t newest_at = 0;
  auto newest = query_int(db_.get(), "SELECT coalesce((SELECT at FROM change_log ORDER BY seq DESC LIMIT 1), 0)",
                          "compact: read the newest time");
  if (!newest) status = newest.error();
  else newest_at = *newest;
  std::uint64_t drop_through = compacted_through_;
  std::int64_t dropped_at = 0;
  std::size_t dropped = 0;
  if (status) {
    sqlite3_stmt* stmt = journal_oldest_.get();
    sqlite::ResetOnExit reset(stmt);
    sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(folded_through_));
    sqlite3_bind_int64(stmt, 2, static_cast<std::int64_t>(max_entries));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
      std::int64_t at = sqlite3_column_int64(stmt, 1);
      bool too_old = at < newest_at - retention_.max_age_seconds;
      if (seq > limit && !too_old) break;
      drop_through = seq;
      dropped_at = std::max(dropped_at, at);
      ++dropped;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) status = sqlite::db_error(db_.get(), rc, "compact: read the journal");
  }
  if (status && dropped > 0) {
    sqlite3_stmt* stmt = journal_drop_.get();
    sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(drop_through));
    status = sqlite::run(stmt, "compact: drop entries");
    if (status) status = set_meta("compacted_through", static_cast<std::int64_t>(drop_through));
    if (status) {
      auto before = meta("compacted_at");
      if (!before) status = before.error();
      else status = set_meta("compacted_at", std::max(*before, dropped_at));
    }
  }
  if (status) status = sqlite::run(commit_.get(), "compact: commit");
  if (!status) {
    rollback();
    return status.error();
  }
  if (dropped > 0) compacted_through_ = drop_through;
  return dropped;
}

Status SqliteStore::append(std::uint64_t revision, const LeaseChange& change) {
  const LeaseRecord& r = change.record;
  sqlite3_stmt* stmt = log_append_.get();
  sqlite::ResetOnExit reset(stmt);
  std::array<std::uint8_t, 16> address = r.address.v6_bytes();
  const std::uint8_t* bytes = address.data();
  int size = 16;
  if (r.address.is_v4()) {
    std::uint32_t v = r.address.v4_value();
    address = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
               static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    size = 4;
  }
  int rc = sqlite3_bind_int(stmt, 1, static_cast<int>(change.kind));
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(stmt, 2, bytes, size, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(stmt, 3, r.key.bytes().data(), static_cast<int>(lease::PublicKey::kSize), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 4, r.subnet_id);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 5, r.cltt);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 6, r.valid_lifetime);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(stmt, 7, static_cast<int>(r.state));
  if (rc == SQLITE_OK) rc = bind_optional_text(stmt, 8, r.hostname);
  if (rc == SQLITE_OK) rc = bind_optional_text(stmt, 9, r.user_context);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 10, static_cast<std::int64_t>(revision));
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 11, change.at);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return {};
  return sqlite::db_error(db_.get(), rc,
                          std::string("apply: log ") + lease::change_kind_name(change.kind) + " " + r.address.to_string());
}

Status SqliteStore::fold(std::size_t max_entries) {
  // Read the oldest entries, keep the newest per address, and write them in address
  // order: neighbouring addresses share pages, so each page is written once per fold.
  std::vector<std::pair<std::int64_t, LeaseChange>> entries;
  {
    sqlite3_stmt* stmt = log_head_.get();
    sqlite::ResetOnExit reset(stmt);
    sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(max_entries));
    int rc;
    std::string problem;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::pair<std::int64_t, LeaseChange> e;
      if (!read_log_row(stmt, e.first, e.second, problem))
        return make_error(Errc::corruption, "change_log: " + problem);
      entries.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return sqlite::db_error(db_.get(), rc, "fold: read change_log");
  }
  if (entries.empty()) return {};
  std::int64_t last_seq = entries.back().first;
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return rows::address_key(a.second.record.address) < rows::address_key(b.second.record.address);
  });
  Status status = sqlite::run(begin_write_.get(), "fold: begin transaction");
  for (std::size_t k = 0; status && k < entries.size(); ++k) {
    bool newest = k + 1 == entries.size() ||
                  rows::address_key(entries[k + 1].second.record.address) != rows::address_key(entries[k].second.record.address);
    if (newest) status = write(entries[k].second);
  }
  if (status) status = set_meta("folded_through", last_seq);
  if (status) status = sqlite::run(commit_.get(), "fold: commit");
  if (!status) {
    rollback();
    return status;
  }
  folded_through_ = static_cast<std::uint64_t>(last_seq);
  log_rows_ -= std::min(log_rows_, entries.size());
  return {};
}

Status SqliteStore::fold_all() {
  while (log_rows_ > 0) {
    std::size_t before = log_rows_;
    if (auto st = fold(options_.fold_chunk); !st) return st;
    if (log_rows_ == before) break;  // counted rows that are not there: nothing to fold
  }
  return {};
}

Status SqliteStore::read_log(LogView& view) {
  sqlite3_stmt* stmt = log_scan_.get();
  sqlite::ResetOnExit reset(stmt);
  std::int64_t seq = 0;
  LeaseChange change{LeaseChange::Kind::grant, {}};
  std::string problem;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (!read_log_row(stmt, seq, change, problem))
      return make_error(Errc::corruption, "change_log row " + std::to_string(seq) + ": " + problem);
    auto& slot = view[rows::address_key(change.record.address)];
    if (change.kind == LeaseChange::Kind::remove) slot.reset();
    else slot = change.record;
  }
  if (rc != SQLITE_DONE) return sqlite::db_error(db_.get(), rc, "read change_log");
  return {};
}

Status SqliteStore::write(const LeaseChange& change) {
  const LeaseRecord& r = change.record;
  Table& table = table_for(r.address.family());
  std::array<std::uint8_t, 16> v6{};
  // Runs one of the statements, all of which number their parameters alike.
  auto step = [&](sqlite3_stmt* stmt, bool with_fields) {
    sqlite::ResetOnExit reset(stmt);
    int rc = bind_address(stmt, r.address, v6);
    if (rc == SQLITE_OK && with_fields) rc = bind_fields(stmt, r);
    return rc == SQLITE_OK ? sqlite3_step(stmt) : rc;
  };
  int rc;
  if (change.kind == LeaseChange::Kind::remove) {
    rc = step(table.remove.get(), false);
  } else {
    // Most changes keep the peer's key (renewals above all). An UPDATE that does not name
    // public_key leaves the key index alone, which halves the pages a random renewal
    // dirties; an upsert would rewrite the index entry even when the key is unchanged.
    rc = step(table.update.get(), true);
    if (rc == SQLITE_DONE && sqlite3_changes(db_.get()) == 0) rc = step(table.upsert.get(), true);
  }
  if (rc == SQLITE_DONE) return {};
  return sqlite::db_error(db_.get(), rc,
                          std::string("apply: ") + lease::change_kind_name(change.kind) + " " +
                              r.address.to_string());
}

Status SqliteStore::load(const std::function<void(const LeaseRecord&)>& visit) {
  rollback();  // in case a visitor threw out of an earlier load()
  // One read transaction, so the tables and the log come from the same snapshot.
  Status status = sqlite::run(begin_read_.get(), "load: begin transaction");
  LogView view;
  if (status) status = read_log(view);
  if (status) status = scan(v4_, net::Family::v4, view, visit);
  if (status) status = scan(v6_, net::Family::v6, view, visit);
  if (status) status = sqlite::run(commit_.get(), "load: end transaction");
  if (!status) rollback();
  return status;
}

// Visits the table's rows merged with the log's entries of that family, in address order;
// where both have an address the log's newer state wins (and a logged removal hides it).
Status SqliteStore::scan(Table& table, net::Family family, const LogView& view,
                         const std::function<void(const LeaseRecord&)>& visit) {
  int fam = family == net::Family::v4 ? 4 : 6;
  auto it = view.lower_bound({fam, 0});
  auto end = view.lower_bound({fam + 1, 0});
  auto emit_logged_below = [&](std::optional<net::uint128> limit) {
    for (; it != end && (!limit || it->first.second < *limit); ++it)
      if (it->second) visit(*it->second);
  };
  sqlite3_stmt* stmt = table.scan.get();
  sqlite::ResetOnExit reset(stmt);
  LeaseRecord record;
  std::string problem;
  std::int64_t row = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ++row;
    if (!read_row(stmt, family, record, problem))
      return make_error(Errc::corruption,
                        std::string(table.name) + " row " + std::to_string(row) + ": " + problem);
    net::uint128 a = record.address.value();
    emit_logged_below(a);
    if (it != end && it->first.second == a) {
      if (it->second) visit(*it->second);
      ++it;
      continue;
    }
    visit(record);
  }
  if (rc != SQLITE_DONE) return sqlite::db_error(db_.get(), rc, std::string("load: read ") + table.name);
  emit_logged_below(std::nullopt);
  return {};
}

Status SqliteStore::select_into(Table& table, sqlite3_stmt* stmt, net::Family family,
                                const char* what, std::vector<LeaseRecord>& out) {
  sqlite::ResetOnExit reset(stmt);
  std::string problem;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    LeaseRecord record;
    if (!read_row(stmt, family, record, problem))
      return make_error(Errc::corruption, std::string(what) + ": " + table.name + " row: " + problem);
    out.push_back(std::move(record));
  }
  if (rc != SQLITE_DONE) return sqlite::db_error(db_.get(), rc, std::string(what) + ": read " + table.name);
  return {};
}

Result<std::vector<LeaseRecord>> SqliteStore::get_by_key(const lease::PublicKey& key) {
  rollback();
  Status status = sqlite::run(begin_read_.get(), "get_by_key: begin transaction");
  LogView view;
  if (status) status = read_log(view);
  std::vector<LeaseRecord> found;
  for (net::Family family : {net::Family::v4, net::Family::v6}) {
    if (!status) break;
    Table& table = table_for(family);
    sqlite3_stmt* stmt = table.by_key.get();
    int rc = sqlite3_bind_blob(stmt, 1, key.bytes().data(), static_cast<int>(lease::PublicKey::kSize),
                               SQLITE_STATIC);
    if (rc != SQLITE_OK) status = sqlite::db_error(db_.get(), rc, "get_by_key: bind");
    std::vector<LeaseRecord> rows;
    if (status) status = select_into(table, stmt, family, "get_by_key", rows);
    for (auto& r : rows)
      if (!view.count(rows::address_key(r.address))) found.push_back(std::move(r));
  }
  for (const auto& [address, record] : view)
    if (record && record->key == key) found.push_back(*record);
  if (status) status = sqlite::run(commit_.get(), "get_by_key: end transaction");
  if (!status) {
    rollback();
    return status.error();
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const LeaseRecord& a, const LeaseRecord& b) { return rows::address_key(a.address) < rows::address_key(b.address); });
  return found;
}

Result<std::optional<LeaseRecord>> SqliteStore::get(const net::Address& address) {
  rollback();
  Status status = sqlite::run(begin_read_.get(), "get: begin transaction");
  LogView view;
  if (status) status = read_log(view);
  std::vector<LeaseRecord> found;
  auto logged = view.find(rows::address_key(address));
  if (status && logged == view.end()) {
    Table& table = table_for(address.family());
    sqlite3_stmt* stmt = table.get.get();
    std::array<std::uint8_t, 16> v6{};
    int rc = bind_address(stmt, address, v6);
    if (rc != SQLITE_OK) status = sqlite::db_error(db_.get(), rc, "get: bind");
    if (status) status = select_into(table, stmt, address.family(), "get", found);
  }
  if (status) status = sqlite::run(commit_.get(), "get: end transaction");
  if (!status) {
    rollback();
    return status.error();
  }
  if (logged != view.end()) return logged->second;
  if (found.empty()) return std::optional<LeaseRecord>();
  return std::optional<LeaseRecord>(std::move(found.front()));
}

// Reservation writes are rare (control commands): each prepares its statement and runs
// in its own transaction, between the lease batches of the same thread.
Status SqliteStore::put_reservation(const std::string& id, const std::string& body) {
  rollback();
  auto stmt = sqlite::prepare(db_.get(), "INSERT OR REPLACE INTO reservation (id, body) VALUES (?1, ?2)", "put reservation");
  if (!stmt) return stmt.error();
  sqlite3_bind_text(stmt->get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt->get(), 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  return sqlite::run(stmt->get(), "put reservation");
}

Status SqliteStore::delete_reservation(const std::string& id) {
  rollback();
  auto stmt = sqlite::prepare(db_.get(), "DELETE FROM reservation WHERE id = ?1", "delete reservation");
  if (!stmt) return stmt.error();
  sqlite3_bind_text(stmt->get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  return sqlite::run(stmt->get(), "delete reservation");
}

Status SqliteStore::load_reservations(const std::function<void(const std::string&, const std::string&)>& visit) {
  rollback();
  auto stmt = sqlite::prepare(db_.get(), "SELECT id, body FROM reservation ORDER BY id", "load reservations");
  if (!stmt) return stmt.error();
  auto text = [&](int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt->get(), column));
    return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt->get(), column)));
  };
  for (;;) {
    int rc = sqlite3_step(stmt->get());
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return sqlite::db_error(db_.get(), rc, "load reservations");
    visit(text(0), text(1));
  }
}

// --- JournalReader ---

Result<JournalBounds> SqliteStore::bounds() {
  rollback();
  Status status = sqlite::run(begin_read_.get(), "journal bounds: begin transaction");
  JournalBounds b;
  if (status) {
    auto newest = query_int(db_.get(), "SELECT coalesce(max(seq), 0) FROM change_log", "journal bounds");
    auto through = meta("compacted_through");
    auto at = meta("compacted_at");
    auto folded = meta("folded_through");
    if (!newest) status = newest.error();
    else if (!through) status = through.error();
    else if (!at) status = at.error();
    else if (!folded) status = folded.error();
    else {
      b.compacted_through = static_cast<std::uint64_t>(*through);
      b.compacted_at = *at;
      b.last_revision = std::max({static_cast<std::uint64_t>(*newest), b.compacted_through,
                                  static_cast<std::uint64_t>(*folded)});
    }
  }
  if (status) status = sqlite::run(commit_.get(), "journal bounds: end transaction");
  if (!status) {
    rollback();
    return status.error();
  }
  return b;
}

Result<std::vector<JournalEntry>> SqliteStore::read(std::uint64_t after, std::size_t limit) {
  rollback();
  sqlite3_stmt* stmt = journal_read_.get();
  sqlite::ResetOnExit reset(stmt);
  sqlite3_bind_int64(stmt, 1, static_cast<std::int64_t>(std::min<std::uint64_t>(after, INT64_MAX)));
  sqlite3_bind_int64(stmt, 2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::vector<JournalEntry> out;
  std::string problem;
  std::int64_t seq = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    JournalEntry e;
    if (!read_log_row(stmt, seq, e.change, problem))
      return make_error(Errc::corruption, "change_log row " + std::to_string(seq) + ": " + problem);
    e.revision = static_cast<std::uint64_t>(seq);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::db_error(db_.get(), rc, "read the journal");
  return out;
}

Result<std::uint64_t> SqliteStore::revision_before(std::int64_t time) {
  rollback();
  Status status = sqlite::run(begin_read_.get(), "journal time lookup: begin transaction");
  std::optional<std::uint64_t> found;
  if (status) {
    sqlite3_stmt* stmt = journal_before_.get();
    sqlite::ResetOnExit reset(stmt);
    sqlite3_bind_int64(stmt, 1, time);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) found = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0)) - 1;
    else if (rc != SQLITE_DONE) status = sqlite::db_error(db_.get(), rc, "journal time lookup");
  }
  if (status) status = sqlite::run(commit_.get(), "journal time lookup: end transaction");
  if (!status) {
    rollback();
    return status.error();
  }
  if (found) return *found;
  auto b = bounds();
  if (!b) return b.error();
  return b->last_revision;
}

Result<std::uint64_t> SqliteStore::snapshot(const std::function<void(const LeaseRecord&)>& visit) {
  rollback();
  Status status = sqlite::run(begin_read_.get(), "snapshot: begin transaction");
  std::uint64_t revision = 0;
  if (status) {
    auto newest = query_int(db_.get(),
                            "SELECT max(coalesce((SELECT max(seq) FROM change_log), 0), "
                            "(SELECT max(value) FROM store_meta WHERE name IN ('folded_through', 'compacted_through')))",
                            "snapshot revision");
    if (!newest) status = newest.error();
    else revision = static_cast<std::uint64_t>(*newest);
  }
  LogView view;
  if (status) status = read_log(view);
  if (status) status = scan(v4_, net::Family::v4, view, visit);
  if (status) status = scan(v6_, net::Family::v6, view, visit);
  if (status) status = sqlite::run(commit_.get(), "snapshot: end transaction");
  if (!status) {
    rollback();
    return status.error();
  }
  return revision;
}

}  // namespace leasehold::store
