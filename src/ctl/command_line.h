// leaseholdctl's pure parts: turning `COMMAND key=value ...` into a control command, and
// the exit status for an answer. No I/O beyond reading an arguments file when asked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace leasehold::ctl {

// Exit statuses besides the answer's result code (0-4).
inline constexpr int kExitUsage = 64;
inline constexpr int kExitUnreachable = 69;

// One `key=value` word: the value is JSON when it reads as a JSON number, true, false,
// null, object or array, else a string. `key:=TEXT` insists on JSON.
Status add_pair(nlohmann::json& arguments, std::string_view word);

// {"command": name, "arguments": ...}: `base` (from -a, an object or nothing) with the
// pairs laid over it. No pairs and no base: no "arguments" key at all.
Result<nlohmann::json> build_command(const std::string& name, const std::vector<std::string>& pairs,
                                     const std::optional<nlohmann::json>& base);

// The -a value: JSON text, "@FILE" or "-" (read by the caller and passed as text).
Result<nlohmann::json> parse_arguments_text(std::string_view text);

// The answer's result code as the exit status (0-4); anything unreadable: 1.
int exit_status_for(const nlohmann::json& answer);

}  // namespace leasehold::ctl
