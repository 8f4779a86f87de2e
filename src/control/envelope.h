// The control API's envelope, as Kea speaks it: one command text in
// ({"command": ..., "arguments": {...}, "service": [...]}), one response text out
// ({"result": N, "text": ..., "arguments": ...}), with Kea's result codes, error texts and
// wire formatting. Owns framing of one command, parsing and the response writer; knows no
// command (dispatcher.h) and does no I/O. Pure and stateless: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace leasehold::control {

// Result codes of Kea's control channel; 4 (conflict) is Kea's too, from 2.4 on.
enum class ResultCode : int {
  success = 0,
  error = 1,
  unsupported = 2,  // no such command
  empty = 3,        // done, but nothing found
  conflict = 4,     // the change collides with existing state
};

struct Response {
  ResultCode result = ResultCode::success;
  std::optional<std::string> text;          // Kea leaves it out of some answers (list-commands)
  std::optional<nlohmann::json> arguments;  // any JSON value; a list for list-commands
};

Response answer(ResultCode result, std::string text);
Response answer(ResultCode result, std::string text, nlohmann::json arguments);
// Arguments and no text, as Kea answers list-commands and status-get.
Response answer_arguments(ResultCode result, nlohmann::json arguments);

// The one mapping from Error to a response: not_found -> empty, conflict -> conflict,
// everything else -> error; the message becomes the text unchanged.
ResultCode result_code_for(Errc code);
Response error_response(const Error& error);

// Kea's wire form: "{ " and " }", "[ " and " ]", ", " between items, keys sorted bytewise,
// ASCII only. Strings escape as Kea does, except that UTF-8 becomes \uXXXX per code point
// (Kea writes each byte as \u00XX, which standard parsers misread) and malformed UTF-8
// becomes \ufffd. Doubles print as the shortest text that reads back exactly, with ".0"
// added to whole numbers. The writer recurses once per level: REQUIRES nesting of at most
// a few hundred levels (parsed commands have at most kMaxDepth).
std::string dump_kea(const nlohmann::json& value);
std::string format_response(const Response& response);

// Deepest nesting of objects and arrays accepted in a command; the envelope is level 1.
// Parsing itself would survive more, but copies, dumps and handlers walk values recursively.
inline constexpr int kMaxDepth = 64;

// Framing of one command, as Kea's control socket reads it: whitespace and comments ('#',
// "//", "/* */") may come first, then the value must start with '{' or '['; it ends where
// its brackets balance (strings and comments skipped). Bytes after it are ignored, as Kea
// ignores them. No size limit.
enum class ScanStatus : std::uint8_t {
  complete,   // length bytes hold one whole value
  need_more,  // nothing wrong yet, the value is not closed (or not begun)
  invalid,    // message says why; more bytes cannot help
};

struct CommandScan {
  ScanStatus status = ScanStatus::need_more;
  std::size_t length = 0;  // complete: bytes up to and including the closing bracket
  std::string message;     // invalid: Kea's text ("invalid first character h")
};

// Stateless: a transport rescans its whole buffer, O(n) per call.
CommandScan scan_command(std::string_view buffered);

struct Command {
  std::string name;
  std::optional<nlohmann::json> arguments;           // an object when present
  std::optional<std::vector<std::string>> service;   // Kea's target list; kept, not used here
};

// Parses one whole command text (see scan_command for framing). Every failure is
// Errc::invalid_argument whose message is the response text, Kea's where Kea has one.
// "remote-address", which Kea's agent adds when forwarding, is accepted and dropped.
Result<Command> parse_command(std::string_view text);

}  // namespace leasehold::control
