// The control API's command table: name -> handler, as wg.c's subcommand table. Owns
// registration (canonical names and their hidden aliases), list-commands, the answer to an
// unknown command, turning a handler's exception into an error answer, and the typed reads
// of arguments that handlers use (Args). Knows no particular command and does no I/O.
// Not thread-aware: register everything first; a const Dispatcher may then be shared, and
// dispatch() is as thread-safe as the handlers it calls.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/envelope.h"

namespace leasehold::control {

// Texts Kea answers when a command lacks its arguments; each Kea command uses one of them,
// so the handler picks the one its Kea counterpart uses.
inline constexpr std::string_view kNoParameters = "no parameters specified for the command";  // lease4-add
inline constexpr std::string_view kParametersNotMap = "Parameters missing or are not a map.";   // lease4-get
inline constexpr std::string_view kMissingArguments = "Missing mandatory 'arguments' parameter.";  // config-test

// Typed, checked reads of a command's arguments, with the error texts of Kea's parameter
// parser (Kea adds the position in the command, "(<wire>:0:41)"; there is none here).
// A view: the arguments must outlive it.
class Args {
 public:
  Args() = default;
  explicit Args(const nlohmann::json* arguments) : args_(arguments) {}  // null: none given

  bool present() const { return args_ != nullptr; }
  // The arguments object; an empty object when none were given.
  const nlohmann::json& object() const;
  // nullptr when absent.
  const nlohmann::json* find(std::string_view key) const;

  // Fails with "missing parameter 'KEY'" or "invalid type specified for parameter 'KEY'".
  Result<std::string> get_string(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  // A JSON integer in [min, max]; else "The 'KEY' value (N) is not within expected range: (MIN - MAX)".
  Result<std::int64_t> get_int(std::string_view key, std::int64_t min, std::int64_t max) const;
  Result<const nlohmann::json*> get_object(std::string_view key) const;
  Result<const nlohmann::json*> get_list(std::string_view key) const;

  // As above, but an absent key is not an error (a present one of the wrong type is).
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  Result<std::optional<std::int64_t>> optional_int(std::string_view key, std::int64_t min, std::int64_t max) const;

  // Fails with Kea's "spurious 'KEY' parameter" for the first key (bytewise order) not allowed.
  Status only(std::initializer_list<std::string_view> allowed) const;

 private:
  const nlohmann::json* args_ = nullptr;
};

using Handler = std::function<Response(const Args&)>;

class Dispatcher {
 public:
  // Canonical name, listed by list-commands. Fails with conflict if the name is taken
  // (as a command or an alias, "list-commands" included), invalid_argument if empty.
  Status add(std::string name, Handler handler);
  // Another name for a registered command (the spec's names, such as "get-lease4"):
  // callable, answered by the same handler, never listed.
  Status add_alias(std::string alias, std::string_view canonical);

  // The canonical name a command name resolves to, if it resolves at all.
  std::optional<std::string> canonical(std::string_view name) const;
  // Canonical names, "list-commands" included, sorted bytewise as Kea lists them.
  std::vector<std::string> list() const;

  // Never throws for a handler's sake: a handler's exception becomes result 1.
  Response dispatch(const Command& command) const;
  // The whole core: parse one command text, dispatch it, format the answer.
  std::string handle(std::string_view text) const;

 private:
  bool taken(std::string_view name) const;

  std::map<std::string, Handler, std::less<>> handlers_;
  std::map<std::string, std::string, std::less<>> aliases_;  // alias -> canonical
};

}  // namespace leasehold::control
