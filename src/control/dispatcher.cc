// Command table and typed argument reads. See dispatcher.h.
#include "control/dispatcher.h"

#include <exception>
#include <limits>
#include <utility>

namespace leasehold::control {

using nlohmann::json;

namespace {

constexpr std::string_view kListCommands = "list-commands";
// Names and keys are echoed in answers; one longer than this is cut (Kea echoes in full).
constexpr std::size_t kMaxEcho = 100;

std::string in_quotes(std::string_view s) {
  if (s.size() <= kMaxEcho) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMaxEcho)) + "...'";
}

Error missing(std::string_view key) {
  return make_error(Errc::invalid_argument, "missing parameter " + in_quotes(key));
}

Error wrong_type(std::string_view key) {
  return make_error(Errc::invalid_argument, "invalid type specified for parameter " + in_quotes(key));
}

const json& empty_object() {
  static const json empty = json::object();
  return empty;
}

// nlohmann's what() starts with "[json.exception.type_error.302] "; the rest is plain English.
std::string_view without_nlohmann_prefix(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    const auto end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return what;
}

}  // namespace

// ---- Args ---------------------------------------------------------------------------------

const json& Args::object() const { return args_ != nullptr ? *args_ : empty_object(); }

const json* Args::find(std::string_view key) const {
  if (args_ == nullptr || !args_->is_object()) return nullptr;
  const auto it = args_->find(key);
  return it == args_->end() ? nullptr : &*it;
}

Result<std::optional<std::string>> Args::optional_string(std::string_view key) const {
  const json* v = find(key);
  if (v == nullptr) return std::optional<std::string>{};
  if (!v->is_string()) return wrong_type(key);
  return std::optional<std::string>{v->get<std::string>()};
}

Result<std::optional<bool>> Args::optional_bool(std::string_view key) const {
  const json* v = find(key);
  if (v == nullptr) return std::optional<bool>{};
  if (!v->is_boolean()) return wrong_type(key);
  return std::optional<bool>{v->get<bool>()};
}

Result<std::optional<std::int64_t>> Args::optional_int(std::string_view key, std::int64_t min,
                                                       std::int64_t max) const {
  const json* v = find(key);
  if (v == nullptr) return std::optional<std::int64_t>{};
  if (!v->is_number_integer()) return wrong_type(key);  // 3600.0 is a double, as in Kea
  auto out_of_range = [&](const std::string& shown) {
    return make_error(Errc::invalid_argument, "The " + in_quotes(key) + " value (" + shown +
                                                  ") is not within expected range: (" + std::to_string(min) +
                                                  " - " + std::to_string(max) + ")");
  };
  // Values above INT64_MAX arrive unsigned, and no range a handler can ask holds them.
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())
    return out_of_range(std::to_string(v->get<std::uint64_t>()));
  const auto value = v->get<std::int64_t>();
  if (value < min || value > max) return out_of_range(std::to_string(value));
  return std::optional<std::int64_t>{value};
}

Result<std::string> Args::get_string(std::string_view key) const {
  auto v = optional_string(key);
  if (!v) return v.error();
  if (!*v) return missing(key);
  return std::move(**v);
}

Result<bool> Args::get_bool(std::string_view key) const {
  auto v = optional_bool(key);
  if (!v) return v.error();
  if (!*v) return missing(key);
  return **v;
}

Result<std::int64_t> Args::get_int(std::string_view key, std::int64_t min, std::int64_t max) const {
  auto v = optional_int(key, min, max);
  if (!v) return v.error();
  if (!*v) return missing(key);
  return **v;
}

Result<const json*> Args::get_object(std::string_view key) const {
  const json* v = find(key);
  if (v == nullptr) return missing(key);
  if (!v->is_object()) return wrong_type(key);
  return v;
}

Result<const json*> Args::get_list(std::string_view key) const {
  const json* v = find(key);
  if (v == nullptr) return missing(key);
  if (!v->is_array()) return wrong_type(key);
  return v;
}

Status Args::only(std::initializer_list<std::string_view> allowed) const {
  if (args_ == nullptr || !args_->is_object()) return {};
  for (auto it = args_->begin(); it != args_->end(); ++it) {
    bool known = false;
    for (std::string_view name : allowed) known = known || name == it.key();
    if (!known) return make_error(Errc::invalid_argument, "spurious " + in_quotes(it.key()) + " parameter");
  }
  return {};
}

// ---- Dispatcher ---------------------------------------------------------------------------

bool Dispatcher::taken(std::string_view name) const {
  return name == kListCommands || handlers_.contains(name) || aliases_.contains(name);
}

Status Dispatcher::add(std::string name, Handler handler) {
  if (name.empty() || !handler) return make_error(Errc::invalid_argument, "a command needs a name and a handler");
  if (taken(name)) return make_error(Errc::conflict, "command " + in_quotes(name) + " is already registered");
  handlers_.emplace(std::move(name), std::move(handler));
  return {};
}

Status Dispatcher::add_alias(std::string alias, std::string_view canonical) {
  if (alias.empty()) return make_error(Errc::invalid_argument, "an alias needs a name");
  if (canonical != kListCommands && !handlers_.contains(canonical))
    return make_error(Errc::not_found, "alias " + in_quotes(alias) + " names no command: " + in_quotes(canonical));
  if (taken(alias)) return make_error(Errc::conflict, "command " + in_quotes(alias) + " is already registered");
  aliases_.emplace(std::move(alias), std::string(canonical));
  return {};
}

std::optional<std::string> Dispatcher::canonical(std::string_view name) const {
  if (name == kListCommands || handlers_.contains(name)) return std::string(name);
  if (const auto it = aliases_.find(name); it != aliases_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> Dispatcher::list() const {
  std::map<std::string, int, std::less<>> names;  // sorts list-commands in among the rest
  names.emplace(kListCommands, 0);
  for (const auto& [name, handler] : handlers_) names.emplace(name, 0);
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& [name, unused] : names) out.push_back(name);
  return out;
}

Response Dispatcher::dispatch(const Command& command) const {
  const std::optional<std::string> name = canonical(command.name);
  // Kea's exact text, which tools match on.
  if (!name) return answer(ResultCode::unsupported, in_quotes(command.name) + " command not supported.");
  if (*name == kListCommands) return answer_arguments(ResultCode::success, json(list()));

  const Args args(command.arguments ? &*command.arguments : nullptr);
  try {
    return handlers_.find(*name)->second(args);
  } catch (const json::exception& e) {
    // Mostly a handler reading an argument as the wrong type; the command is at fault.
    return answer(ResultCode::error, in_quotes(command.name) + " command failed: " +
                                         std::string(without_nlohmann_prefix(e.what())));
  } catch (const std::exception& e) {
    return answer(ResultCode::error, in_quotes(command.name) + " command failed: " + e.what());
  }
}

std::string Dispatcher::handle(std::string_view text) const {
  auto command = parse_command(text);
  if (!command) return format_response(error_response(command.error()));
  return format_response(dispatch(*command));
}

}  // namespace leasehold::control
