// Encoding of lease rows in SQLite: column lists, the readers that check every stored
// value (a wrong type or range is corruption, described in `problem`) and the binders for
// writes. No SQL beyond column names, no policy: sqlite_store.cc owns that.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "lease/lease.h"

struct sqlite3_stmt;

namespace leasehold::store::rows {

// Lease table columns, in the order read_row() expects.
inline constexpr std::string_view kColumns =
    "address, public_key, subnet_id, cltt, valid_lifetime, state, hostname, user_context";
// change_log columns, in the order read_log_row() expects.
inline constexpr std::string_view kLogColumns =
    "seq, kind, address, public_key, subnet_id, cltt, valid_lifetime, state, hostname, user_context, at";

// Fills `r` from the current row of a lease table. Reuses r's string capacity.
bool read_row(sqlite3_stmt* stmt, net::Family family, lease::LeaseRecord& r, std::string& problem);
// Reads a change_log row into `seq` and `change` (with its journal time).
bool read_log_row(sqlite3_stmt* stmt, std::int64_t& seq, lease::LeaseChange& change, std::string& problem);
// Orders addresses by family, then value (the order of the tables and of folding).
std::pair<int, net::uint128> address_key(const net::Address& a);

// Binds the address to parameter 1. `v6` holds the bytes until the statement is stepped.
int bind_address(sqlite3_stmt* stmt, const net::Address& address, std::array<std::uint8_t, 16>& v6);
int bind_optional_text(sqlite3_stmt* stmt, int param, const std::string& text);
// Binds parameters 2-8 of a lease table write; the record must outlive the step.
int bind_fields(sqlite3_stmt* stmt, const lease::LeaseRecord& r);

}  // namespace leasehold::store::rows
