// SqliteStore: the LeaseStore backend on one SQLite file. WAL with synchronous=FULL, so a
// batch is on disk when apply() returns OK. Owns the connection, the schema and its version
// check; knows nothing of pools or the engine. One thread at a time, like every LeaseStore.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/lease_store.h"
#include "store/sqlite_handle.h"

namespace leasehold::store {

struct SqliteOptions {
  int busy_timeout_ms = 5000;  // how long a write waits for another connection's lock
  // Caps the database at this many pages; 0 keeps SQLite's limit. Past it, apply() fails
  // as on a full disk, which is how tests reach that path without a small filesystem.
  std::uint32_t max_page_count = 0;
};

class SqliteStore final : public LeaseStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens the file, creating it and the schema if it is new. Refuses files that are not
  // SQLite, not leasehold's, or from a newer schema; every error names the path.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const SqliteOptions& options = {});

  Status apply(std::span<const lease::LeaseChange> batch) override;
  // Reads both tables from one snapshot.
  // REQUIRES: `visit` does not call back into this store.
  Status load(const std::function<void(const lease::LeaseRecord&)>& visit) override;
  Result<std::vector<lease::LeaseRecord>> get_by_key(const lease::PublicKey& key) override;
  Result<std::optional<lease::LeaseRecord>> get(const net::Address& address) override;
  std::string describe() const override { return "sqlite " + path_; }

 private:
  // The statements for one of the tables lease4 / lease6.
  struct Table {
    const char* name = "";
    sqlite::Stmt update, upsert, remove, get, by_key, scan;
  };

  SqliteStore(std::string path, sqlite::Db db) : path_(std::move(path)), db_(std::move(db)) {}
  Status configure(const SqliteOptions& options);
  Status prepare_statements();
  Status write(const lease::LeaseChange& change);
  Status scan(Table& table, net::Family family,
              const std::function<void(const lease::LeaseRecord&)>& visit);
  Status select_into(Table& table, sqlite3_stmt* stmt, net::Family family, const char* what,
                     std::vector<lease::LeaseRecord>& out);
  void rollback();
  Table& table_for(net::Family family) { return family == net::Family::v4 ? v4_ : v6_; }

  std::string path_;
  sqlite::Db db_;  // declared first so it is closed after the statements are finalized
  sqlite::Stmt begin_write_, begin_read_, commit_, rollback_;
  Table v4_, v6_;
};

}  // namespace leasehold::store
