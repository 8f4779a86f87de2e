// SqliteStore: the LeaseStore backend on one SQLite file. WAL with synchronous=FULL, so a
// batch is on disk when apply() returns OK. Owns the connection, the schema and its version
// check; knows nothing of pools or the engine. One thread at a time, like every LeaseStore.
//
// Writes go to an append-only change_log (rowid = revision), so a commit fills a few
// sequential pages instead of dirtying one random page per address. Folding moves the
// oldest log entries into the lease4/lease6 tables (keyed by address) in address order,
// a chunk at a time: in tidy() when the server is idle, inside apply() only once the log
// passes max_log_entries, and completely when the store closes. Reads merge the tables
// with the log, newest entry winning.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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
};

class SqliteStore final : public LeaseStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens the file, creating it and the schema if it is new. Refuses files that are not
  // SQLite, not leasehold's, or from a newer schema; every error names the path.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const SqliteOptions& options = {});
  ~SqliteStore() override;

  // Folds the whole change log into the lease tables. Done on close; public for tests.
  Status fold_all();
  std::size_t change_log_size() const { return log_rows_; }

  Status apply(std::span<const lease::LeaseChange> batch) override;
  Result<bool> tidy() override;
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
  Status append(const lease::LeaseChange& change);
  Status fold(std::size_t max_entries);
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
  sqlite::Stmt log_append_, log_scan_, log_head_, log_trim_, log_count_;
  Table v4_, v6_;
  SqliteOptions options_;
  std::size_t log_rows_ = 0;
};

}  // namespace leasehold::store
