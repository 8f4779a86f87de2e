// The line structure of one framed request_ip message, shared by the request parser (server
// side) and the response parser (client side): layout checks that do not depend on keys, and
// the walk over "key=value" lines. Pure: safe from any thread.
#pragma once

#include <string_view>

#include "common/result.h"

namespace leasehold::wgdyn {

// Checks everything that does not depend on keys: size limits (frame.h), printable ASCII
// only, no CR, exactly one final empty line and nothing after it, at least one line before
// it. Returns the lines without the final empty line, each still '\n'-terminated.
// Errors (Errc::invalid_argument): "message too long", "missing empty line", "line too long",
// "carriage return in line", "bad character", "bytes after empty line", "missing command line".
Result<std::string_view> message_lines(std::string_view message);

// One "key=value" line split at its first '='.
struct KeyValue {
  std::string_view key;
  std::string_view value;
};

// REQUIRES: `rest` is non-empty and ends with '\n' (as message_lines() returns it).
// Removes the first line from `rest` and returns its text without the '\n'.
std::string_view take_line(std::string_view& rest);

// Errors: "line without '='", "empty key".
Result<KeyValue> split_key_value(std::string_view line);

}  // namespace leasehold::wgdyn
