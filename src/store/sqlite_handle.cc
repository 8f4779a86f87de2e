#include "store/sqlite_handle.h"

#include <sqlite3.h>

namespace leasehold::store::sqlite {

void CloseDb::operator()(sqlite3* db) const {
  // _v2 defers the close until the last statement is finalized, so member order cannot
  // leak the connection.
  sqlite3_close_v2(db);
}

void FinalizeStmt::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

ResetOnExit::~ResetOnExit() {
  // The step's error has already been reported; reset repeats it and is ignored here.
  if (stmt_ != nullptr) sqlite3_reset(stmt_);
}

Errc errc_for(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::corruption;
    default:
      return Errc::io;
  }
}

Error db_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  bool own = db != nullptr && (sqlite3_errcode(db) & 0xff) == (rc & 0xff);
  message += own ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return make_error(errc_for(rc), std::move(message));
}

Result<Db> open_db(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_EXRESCODE, nullptr);
  Db db(raw);  // sqlite3_open_v2 allocates a handle even when it fails
  if (rc != SQLITE_OK) return db_error(db.get(), rc, "cannot open lease database " + path);
  return db;
}

Result<Stmt> prepare(sqlite3* db, std::string_view sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return db_error(db, rc, what);
  return stmt;
}

Status run(sqlite3_stmt* stmt, std::string_view what) {
  ResetOnExit reset(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return db_error(sqlite3_db_handle(stmt), rc, what);
  return {};
}

Status exec(sqlite3* db, const char* sql, std::string_view what) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text(what);
  text += ": ";
  text += message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(errc_for(rc), std::move(text));
}

}  // namespace leasehold::store::sqlite
