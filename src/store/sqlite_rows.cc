#include "store/sqlite_rows.h"

#include <sqlite3.h>

#include <climits>
#include <cstring>
#include <limits>

namespace leasehold::store::rows {

using lease::LeaseChange;
using lease::LeaseRecord;

namespace {


constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxState = static_cast<std::int64_t>(lease::LeaseState::expired_reclaimed);

const char* type_name(int type) {
  switch (type) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
  }
}

// Reads an integer column in [min, max]; on failure describes the problem in `problem`.
bool read_int(sqlite3_stmt* stmt, int col, const char* name, std::int64_t min, std::int64_t max,
              std::int64_t& out, std::string& problem) {
  int type = sqlite3_column_type(stmt, col);
  if (type != SQLITE_INTEGER) {
    problem = std::string(name) + " is " + type_name(type) + ", not an integer";
    return false;
  }
  out = sqlite3_column_int64(stmt, col);
  if (out < min || out > max) {
    problem = std::string(name) + " " + std::to_string(out) + " is out of range " +
              std::to_string(min) + "-" + std::to_string(max);
    return false;
  }
  return true;
}

// Reads a blob column of exactly `size` bytes into `out`.
bool read_blob(sqlite3_stmt* stmt, int col, const char* name, std::uint8_t* out, std::size_t size,
               std::string& problem) {
  int type = sqlite3_column_type(stmt, col);
  if (type != SQLITE_BLOB) {
    problem = std::string(name) + " is " + type_name(type) + ", not a blob";
    return false;
  }
  const void* data = sqlite3_column_blob(stmt, col);
  auto bytes = static_cast<std::size_t>(sqlite3_column_bytes(stmt, col));
  if (bytes != size || data == nullptr) {
    problem = std::string(name) + " is " + std::to_string(bytes) + " bytes";
    return false;
  }
  std::memcpy(out, data, size);
  return true;
}

void read_text(sqlite3_stmt* stmt, int col, std::string& out) {
  const unsigned char* text = sqlite3_column_text(stmt, col);
  if (text == nullptr) {
    out.clear();
    return;
  }
  out.assign(reinterpret_cast<const char*>(text),
             static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
}

// Fills r's fields other than the address from columns first..first+6 (key, subnet_id,
// cltt, valid_lifetime, state, hostname, user_context). Reuses r's string capacity, so a
// scan allocates only when a text is longer than any before it.
bool read_fields(sqlite3_stmt* stmt, int first, LeaseRecord& r, std::string& problem) {
  std::int64_t v = 0;
  std::array<std::uint8_t, lease::PublicKey::kSize> key;
  bool ok = read_blob(stmt, first, "public key", key.data(), key.size(), problem);
  if (ok) r.key = lease::PublicKey(key);
  ok = ok && read_int(stmt, first + 1, "subnet_id", 0, kMaxU32, v, problem);
  if (ok) r.subnet_id = static_cast<std::uint32_t>(v);
  ok = ok && read_int(stmt, first + 2, "cltt", std::numeric_limits<std::int64_t>::min(),
                      std::numeric_limits<std::int64_t>::max(), r.cltt, problem);
  ok = ok && read_int(stmt, first + 3, "valid_lifetime", 0, kMaxU32, v, problem);
  if (ok) r.valid_lifetime = static_cast<std::uint32_t>(v);
  ok = ok && read_int(stmt, first + 4, "state", 0, kMaxState, v, problem);
  if (!ok) {
    problem += " (address " + r.address.to_string() + ")";
    return false;
  }
  r.state = static_cast<lease::LeaseState>(v);
  read_text(stmt, first + 5, r.hostname);
  read_text(stmt, first + 6, r.user_context);
  return true;
}


}  // namespace

// Fills `r` from the current row of a lease table (columns as kColumns).
bool read_row(sqlite3_stmt* stmt, net::Family family, LeaseRecord& r, std::string& problem) {
  std::int64_t v = 0;
  if (family == net::Family::v4) {
    if (!read_int(stmt, 0, "address", 0, kMaxU32, v, problem)) return false;
    r.address = net::Address::v4(static_cast<std::uint32_t>(v));
  } else {
    std::array<std::uint8_t, 16> bytes;
    if (!read_blob(stmt, 0, "address", bytes.data(), bytes.size(), problem)) return false;
    r.address = net::Address::v6_bytes(bytes);
  }
  return read_fields(stmt, 1, r, problem);
}

constexpr std::int64_t kMaxKind = static_cast<std::int64_t>(LeaseChange::Kind::remove);

// Reads a change_log row into `seq` and `change`.
bool read_log_row(sqlite3_stmt* stmt, std::int64_t& seq, LeaseChange& change, std::string& problem) {
  std::int64_t kind = 0;
  if (!read_int(stmt, 0, "seq", 1, std::numeric_limits<std::int64_t>::max(), seq, problem) ||
      !read_int(stmt, 1, "kind", 0, kMaxKind, kind, problem))
    return false;
  change.kind = static_cast<LeaseChange::Kind>(kind);
  const void* data = sqlite3_column_blob(stmt, 2);
  int bytes = sqlite3_column_bytes(stmt, 2);
  if (sqlite3_column_type(stmt, 2) != SQLITE_BLOB || data == nullptr || (bytes != 4 && bytes != 16)) {
    problem = "address is not 4 or 16 bytes";
    return false;
  }
  std::array<std::uint8_t, 16> a{};
  std::memcpy(a.data(), data, static_cast<std::size_t>(bytes));
  if (bytes == 4)
    change.record.address = net::Address::v4(std::uint32_t{a[0]} << 24 | std::uint32_t{a[1]} << 16 |
                                             std::uint32_t{a[2]} << 8 | a[3]);
  else
    change.record.address = net::Address::v6_bytes(a);
  change.at = sqlite3_column_int64(stmt, 10);
  return read_fields(stmt, 3, change.record, problem);
}

std::pair<int, net::uint128> address_key(const net::Address& a) {
  return {a.is_v4() ? 4 : 6, a.value()};
}

// Binds the address to parameter 1. `v6` holds the bytes until the statement is stepped.
int bind_address(sqlite3_stmt* stmt, const net::Address& address, std::array<std::uint8_t, 16>& v6) {
  if (address.is_v4()) return sqlite3_bind_int64(stmt, 1, address.v4_value());
  v6 = address.v6_bytes();
  return sqlite3_bind_blob(stmt, 1, v6.data(), static_cast<int>(v6.size()), SQLITE_STATIC);
}

int bind_optional_text(sqlite3_stmt* stmt, int param, const std::string& text) {
  if (text.empty()) return sqlite3_bind_null(stmt, param);
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return SQLITE_TOOBIG;
  return sqlite3_bind_text(stmt, param, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// Binds parameters 2-8 of an upsert; the record must outlive the step.
int bind_fields(sqlite3_stmt* stmt, const LeaseRecord& r) {
  int rc = sqlite3_bind_blob(stmt, 2, r.key.bytes().data(), static_cast<int>(lease::PublicKey::kSize),
                             SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 3, r.subnet_id);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 4, r.cltt);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 5, r.valid_lifetime);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(stmt, 6, static_cast<int>(r.state));
  if (rc == SQLITE_OK) rc = bind_optional_text(stmt, 7, r.hostname);
  if (rc == SQLITE_OK) rc = bind_optional_text(stmt, 8, r.user_context);
  return rc;
}

}  // namespace leasehold::store::rows
