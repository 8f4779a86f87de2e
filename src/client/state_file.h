// The client's state file, <state-dir>/client-<interface>.json: the lease it holds, so that a
// restarted client asks for the same addresses (spec "Single lease"). Written atomically
// (temporary file, fsync, rename, fsync of the directory) after every change. Blocking file
// I/O; no shared state.
//
//   {"interface": "wg0", "lease": {"ipv4": "10.0.0.5", "ipv6": "fd00::5",
//                                  "leasestart": 1700000000, "leasetime": 3600}}
// "lease" is null when the client holds none; a missing family is null or absent.
#pragma once

#include <optional>
#include <string>

#include "client/lease.h"
#include "common/result.h"

namespace leasehold::client {

std::string state_file_path(const std::string& state_dir, const std::string& ifname);

// JSON text of the state, and back. Parsing is strict: wrong types, bad addresses, an address
// under the wrong family's key, numbers out of range or another interface are Errc::corruption.
std::string encode_state(const std::string& ifname, const std::optional<StoredLease>& lease);
Result<std::optional<StoredLease>> decode_state(const std::string& text, const std::string& ifname);

// A file that does not exist holds no lease (not an error).
Result<std::optional<StoredLease>> load_state(const std::string& path, const std::string& ifname);
// Creates the directory if needed.
Status save_state(const std::string& path, const std::string& ifname, const std::optional<StoredLease>& lease);

}  // namespace leasehold::client
