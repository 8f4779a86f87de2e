// SqliteStore: the LeaseStore backend on one SQLite file. WAL with synchronous=FULL, so a
// batch is on disk when apply() returns OK. Owns the connection, the schema and its version
// check; knows nothing of pools or the engine. One thread at a time, like every LeaseStore.
//
// Writes go to an append-only change_log (rowid = revision), so a commit fills a few
// sequential pages instead of dirtying one random page per address. Folding copies the
// oldest unfolded entries into the lease4/lease6 tables (keyed by address) in address
// order, a chunk at a time, and moves the folded_through mark: in tidy() when the server
// is idle, inside apply() only once the unfolded log passes max_log_entries, and
// completely when the store closes. Reads merge the tables with the unfolded log, newest
// entry winning. Folded entries stay in change_log as the journal until the retention
// window drops them (compaction, also in tidy() and, under endless load, in apply()).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "store/lease_store.h"
#include "store/sqlite_handle.h"

namespace leasehold::store {

struct SqliteOptions {
  int busy_timeout_ms = 5000;  // how long a write waits for another connection's lock
  // Caps the database at this many pages; 0 keeps SQLite's limit. Past it, apply() fails
  // as on a full disk, which is how tests reach that path without a small filesystem.
  std::uint32_t max_page_count = 0;
  // apply() folds a chunk itself once the log holds more than this many entries (under
  // endless full load there is no idle time to do it in); folds take this many at a time.
  std::size_t max_log_entries = 500000;
  std::size_t fold_chunk = 4096;
  // A second connection for reading only (open_reader): never writes, never folds.
  bool read_only = false;
};

class SqliteStore final : public LeaseStore, public JournalReader {
 public:
  // 2: change_log keeps folded entries as the journal (column `at`, table store_meta).
  static constexpr int kSchemaVersion = 2;

  // Opens the file, creating it and the schema if it is new. Refuses files that are not
  // SQLite, not leasehold's, or from a newer schema; every error names the path.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  // Folds the whole change log into the lease tables. Done on close; public for tests.
  Status fold_all();
  // Entries not yet folded into the lease tables.
  std::size_t change_log_size() const { return log_rows_; }

  Status apply(std::span<const lease::LeaseChange> batch) override;
  std::uint64_t last_revision() const override { return last_revision_; }
  void set_journal_retention(const JournalRetention& retention) override { retention_ = retention; }
  Result<std::unique_ptr<JournalReader>> open_reader() override;
  Result<bool> tidy() override;

  // JournalReader: on any instance, each call one read transaction.
  Result<JournalBounds> bounds() override;
  Result<std::vector<JournalEntry>> read(std::uint64_t after, std::size_t limit) override;
  Result<std::uint64_t> revision_before(std::int64_t time) override;
  Result<std::uint64_t> snapshot(const std::function<void(const lease::LeaseRecord&)>& visit) override;
  // Reads both tables from one snapshot.
  // REQUIRES: `visit` does not call back into this store.
  Status load(const std::function<void(const lease::LeaseRecord&)>& visit) override;
  Result<std::vector<lease::LeaseRecord>> get_by_key(const lease::PublicKey& key) override;
  Result<std::optional<lease::LeaseRecord>> get(const net::Address& address) override;
  Status put_reservation(const std::string& id, const std::string& body) override;
  Status delete_reservation(const std::string& id) override;
  Status load_reservations(const std::function<void(const std::string&, const std::string&)>& visit) override;
  std::string describe() const override { return "sqlite " + path_; }

 private:
  // The statements for one of the tables lease4 / lease6.
  struct Table {
    const char* name = "";
    sqlite::Stmt update, upsert, remove, get, by_key, scan;
  };

  // Latest logged state per (family, address); nullopt means removed.
  using LogView = std::map<std::pair<int, net::uint128>, std::optional<lease::LeaseRecord>>;

  SqliteStore(std::string path, sqlite::Db db) : path_(std::move(path)), db_(std::move(db)) {}
  Status append(std::uint64_t revision, const lease::LeaseChange& change);
  Status fold(std::size_t max_entries);
  // Drops up to `max_entries` of the oldest folded entries that the retention window no
  // longer covers; returns how many it dropped.
  Result<std::size_t> compact(std::size_t max_entries);
  Result<std::int64_t> meta(const char* name);
  Status set_meta(const char* name, std::int64_t value);
  Status read_counters();
  Status read_log(LogView& view);
  Status configure(const SqliteOptions& options);
  Status prepare_statements();
  Status write(const lease::LeaseChange& change);
  Status scan(Table& table, net::Family family, const LogView& view,
              const std::function<void(const lease::LeaseRecord&)>& visit);
  Status select_into(Table& table, sqlite3_stmt* stmt, net::Family family, const char* what,
                     std::vector<lease::LeaseRecord>& out);
  void rollback();
  Table& table_for(net::Family family) { return family == net::Family::v4 ? v4_ : v6_; }

  std::string path_;
  sqlite::Db db_;  // declared first so it is closed after the statements are finalized
  sqlite::Stmt begin_write_, begin_read_, commit_, rollback_;
  sqlite::Stmt log_append_, log_scan_, log_head_, meta_get_, meta_set_;
  sqlite::Stmt journal_read_, journal_before_, journal_last_, journal_oldest_, journal_drop_;
  Table v4_, v6_;
  SqliteOptions options_;
  JournalRetention retention_;
  std::size_t log_rows_ = 0;           // unfolded entries
  std::uint64_t last_revision_ = 0;    // newest revision written
  std::uint64_t folded_through_ = 0;
  std::uint64_t compacted_through_ = 0;
};

}  // namespace leasehold::store
