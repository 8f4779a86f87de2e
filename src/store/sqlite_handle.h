// RAII handles for an SQLite connection and its prepared statements, and the helpers that
// turn SQLite result codes into Status. No policy (pragmas, schema, SQL): that is
// sqlite_store.cc. Handles follow the threading rule of the connection that made them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace leasehold::store::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const;
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const;
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Stmt = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// Resets a statement when the scope ends, so that no statement keeps a read snapshot or
// a pending write alive between calls (a pending one would block COMMIT, ROLLBACK and
// WAL checkpoints).
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit();
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// corruption for SQLITE_CORRUPT and SQLITE_NOTADB, io for everything else.
Errc errc_for(int sqlite_code);

// "<what>: <SQLite's text for rc>", preferring the connection's own message when it is
// about rc (it can be more specific, e.g. "no such table: lease4").
Error db_error(sqlite3* db, int rc, std::string_view what);

// Opens (and with SQLITE_OPEN_CREATE in flags, creates) the file; errors name the path.
Result<Db> open_db(const std::string& path, int flags);

// Prepares one statement; `what` names it in the error.
Result<Stmt> prepare(sqlite3* db, std::string_view sql, std::string_view what);

// Runs one statement to completion, discarding any rows (pragmas, DDL, BEGIN/COMMIT).
Status run(sqlite3_stmt* stmt, std::string_view what);

// Prepares and runs `sql`, which may hold several statements and returns no rows.
Status exec(sqlite3* db, const char* sql, std::string_view what);

}  // namespace leasehold::store::sqlite
