#include "control/option_commands.h"

#include <limits>
#include <memory>

#include "options/options.h"

namespace leasehold::control {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

struct Family {
  int digit;                                   // 4 or 6
  std::string space() const { return digit == 4 ? "dhcp4" : "dhcp6"; }
  std::string word() const { return digit == 4 ? "IPv4" : "IPv6"; }
  std::string subnets() const { return digit == 4 ? "subnet4" : "subnet6"; }
};

std::string space_of(const json& entry) {
  return entry.is_object() && entry.contains("space") && entry["space"].is_string() ? entry["space"].get<std::string>() : "dhcp4";
}

// Does an entry (a definition or a value) name this option? By name or code.
bool names(const json& entry, const std::optional<std::string>& name, const std::optional<std::int64_t>& code) {
  if (!entry.is_object()) return false;
  if (name && entry.contains("name") && entry["name"] == *name) return true;
  return code && entry.contains("code") && entry["code"].is_number_integer() && entry["code"].get<std::int64_t>() == *code;
}

json list_at(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_array() ? object[key] : json::array();
}

class OptionCommands {
 public:
  explicit OptionCommands(OptionCommandContext c) : ctx_(std::move(c)) {}

  Response def_add(const Args& args, Family f);
  Response def_set(const Args& args, Family f);
  Response def_get(const Args& args, Family f);
  Response def_del(const Args& args, Family f);
  Response value_add(const Args& args, Family f);
  Response value_get(const Args& args, Family f);
  Response value_del(const Args& args, Family f);

 private:
  // The definitions in force: the standard ones and the configuration's.
  Result<std::vector<options::OptionDef>> definitions(const json& running) const {
    auto user = options::parse_definitions(list_at(running, "option-def"), "option-def", options::standard_definitions(),
                                           options::kAnySpace);
    if (!user) return user.error();
    auto all = options::standard_definitions();
    all.insert(all.end(), user->begin(), user->end());
    return all;
  }
  Response applied(json running, const std::string& text, json arguments = nullptr) {
    if (auto st = ctx_.apply(std::move(running)); !st) return error_response(st.error());
    return arguments.is_null() ? answer(ResultCode::success, text) : answer(ResultCode::success, text, std::move(arguments));
  }
  // The option-data list of the scope the arguments name (global or "subnet-id"), and
  // where to put it back. Null pointer when the subnet does not exist.
  Result<json*> scope(json& running, const Args& args, Family f, std::string& where);
  static Result<std::pair<std::optional<std::string>, std::optional<std::int64_t>>> which(const Args& args);

  OptionCommandContext ctx_;
};

Result<std::pair<std::optional<std::string>, std::optional<std::int64_t>>> OptionCommands::which(const Args& args) {
  std::optional<std::string> name;
  std::optional<std::int64_t> code;
  for (const char* key : {"name", "option-name"}) {
    auto v = args.optional_string(key);
    if (!v) return v.error();
    if (*v) name = **v;
  }
  for (const char* key : {"code", "option-code"}) {
    auto v = args.optional_int(key, 0, 65535);
    if (!v) return v.error();
    if (*v) code = **v;
  }
  return std::make_pair(name, code);
}

Response OptionCommands::def_add(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto list = args.get_list("option-defs");
  if (!list) return error_response(list.error());
  json running = ctx_.running_config();
  auto current = definitions(running);
  if (!current) return error_response(current.error());
  auto added = options::parse_definitions(**list, "option-defs", *current, f.space());
  if (!added) return error_response(added.error());
  json defs = list_at(running, "option-def");
  for (const auto& d : *added) {
    json entry = d.to_json();
    entry.erase("standard");
    defs.push_back(std::move(entry));
  }
  running["option-def"] = std::move(defs);
  return applied(std::move(running), std::to_string(added->size()) + " " + f.word() + " option definition(s) added.");
}

Response OptionCommands::def_set(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto list = args.get_list("option-defs");
  if (!list) return error_response(list.error());
  json running = ctx_.running_config();
  json kept = json::array();  // the other family's definitions stay
  for (const json& e : list_at(running, "option-def"))
    if (space_of(e) != f.space()) kept.push_back(e);
  json others = running;
  others["option-def"] = kept;
  auto base = definitions(others);
  if (!base) return error_response(base.error());
  auto set = options::parse_definitions(**list, "option-defs", *base, f.space());
  if (!set) return error_response(set.error());
  for (const auto& d : *set) {
    json entry = d.to_json();
    entry.erase("standard");
    kept.push_back(std::move(entry));
  }
  running["option-def"] = std::move(kept);
  if (auto st = ctx_.apply(std::move(running)); !st)
    return answer(ResultCode::conflict, "the new definitions do not cover the options in use: " + st.error().message);
  return answer(ResultCode::success, f.word() + " option definitions set (" + std::to_string(set->size()) + ").");
}

Response OptionCommands::def_get(const Args& args, Family f) {
  auto w = which(args);
  if (!w) return error_response(w.error());
  auto defs = definitions(ctx_.running_config());
  if (!defs) return error_response(defs.error());
  json out = json::array();
  for (const auto& d : *defs)
    if (d.space == f.space() && ((!w->first && !w->second) || (w->first && d.name == *w->first) || (w->second && d.code == *w->second)))
      out.push_back(d.to_json());
  std::size_t n = out.size();
  return answer(n ? ResultCode::success : ResultCode::empty, std::to_string(n) + " " + f.word() + " option definition(s) found.",
                json{{"count", n}, {"option-defs", std::move(out)}});
}

Response OptionCommands::def_del(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto w = which(args);
  if (!w) return error_response(w.error());
  if (!w->first && !w->second) return answer(ResultCode::error, "missing parameter 'name' or 'code'");
  for (const auto& d : options::standard_definitions())
    if (d.space == f.space() && ((w->first && d.name == *w->first) || (w->second && d.code == *w->second)))
      return answer(ResultCode::conflict, "option " + d.name + " is a standard option and cannot be deleted.");
  json running = ctx_.running_config();
  json kept = json::array();
  std::optional<json> gone;
  for (const json& e : list_at(running, "option-def")) {
    if (space_of(e) == f.space() && names(e, w->first, w->second)) gone = e;
    else kept.push_back(e);
  }
  if (!gone) return answer(ResultCode::empty, f.word() + " option definition not found.");
  running["option-def"] = std::move(kept);
  if (auto st = ctx_.apply(std::move(running)); !st)
    return answer(ResultCode::conflict, "option " + gone->value("name", std::string()) + " is in use: " + st.error().message);
  return answer(ResultCode::success, f.word() + " option definition deleted.");
}

Result<json*> OptionCommands::scope(json& running, const Args& args, Family f, std::string& where) {
  auto subnet = args.optional_int("subnet-id", 1, kMaxU32);
  if (!subnet) return subnet.error();
  if (!*subnet) {
    where = "global";
    if (!running.contains("option-data") || !running["option-data"].is_array()) running["option-data"] = json::array();
    return &running["option-data"];
  }
  where = f.word() + " subnet " + std::to_string(**subnet);
  if (running.contains(f.subnets()) && running[f.subnets()].is_array())
    for (json& s : running[f.subnets()])
      if (s.is_object() && s.value("id", 0u) == static_cast<std::uint64_t>(**subnet)) {
        if (!s.contains("option-data") || !s["option-data"].is_array()) s["option-data"] = json::array();
        return &s["option-data"];
      }
  return static_cast<json*>(nullptr);
}

Response OptionCommands::value_add(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  const char* key = args.find("options") ? "options" : "option-data";
  auto list = args.get_list(key);
  if (!list) return error_response(list.error());
  json running = ctx_.running_config();
  auto defs = definitions(running);
  if (!defs) return error_response(defs.error());
  auto values = options::parse_values(**list, key, *defs, f.space());
  if (!values) return error_response(values.error());
  std::string where;
  auto target = scope(running, args, f, where);
  if (!target) return error_response(target.error());
  if (!*target) return answer(ResultCode::empty, "no " + where + " found");
  for (const auto& v : *values) {
    for (const json& e : **target)
      if (space_of(e) == v.space && names(e, v.name, v.code))
        return answer(ResultCode::conflict, "option " + v.name + " is already set at the " + where + " scope; delete it first");
    json entry = v.to_json();
    (*target)->push_back(std::move(entry));
  }
  return applied(std::move(running), std::to_string(values->size()) + " " + f.word() + " option(s) added at the " + where + " scope.");
}

Response OptionCommands::value_get(const Args& args, Family f) {
  auto w = which(args);
  if (!w) return error_response(w.error());
  json running = ctx_.running_config();
  std::string where;
  auto target = scope(running, args, f, where);
  if (!target) return error_response(target.error());
  if (!*target) return answer(ResultCode::empty, "no " + where + " found");
  json out = json::array();
  for (const json& e : **target)
    if (space_of(e) == f.space() && ((!w->first && !w->second) || names(e, w->first, w->second))) out.push_back(e);
  std::size_t n = out.size();
  return answer(n ? ResultCode::success : ResultCode::empty, std::to_string(n) + " " + f.word() + " option(s) found.",
                json{{"count", n}, {"options", std::move(out)}});
}

Response OptionCommands::value_del(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto w = which(args);
  if (!w) return error_response(w.error());
  if (!w->first && !w->second) return answer(ResultCode::error, "missing parameter 'name' or 'code'");
  json running = ctx_.running_config();
  std::string where;
  auto target = scope(running, args, f, where);
  if (!target) return error_response(target.error());
  if (!*target) return answer(ResultCode::empty, "no " + where + " found");
  json kept = json::array();
  bool found = false;
  for (const json& e : **target) {
    if (space_of(e) == f.space() && names(e, w->first, w->second)) found = true;
    else kept.push_back(e);
  }
  if (!found) return answer(ResultCode::empty, f.word() + " option not found at the " + where + " scope.");
  **target = std::move(kept);
  return applied(std::move(running), f.word() + " option deleted from the " + where + " scope.");
}

}  // namespace

Status register_option_commands(Dispatcher& d, OptionCommandContext context) {
  auto commands = std::make_shared<OptionCommands>(std::move(context));
  using Method = Response (OptionCommands::*)(const Args&, Family);
  struct Entry {
    const char* name;   // "%" stands for the family digit
    const char* alias;  // the spec's name, or nullptr
    Method method;
  };
  const Entry entries[] = {
      {"option-def%-add", "add-option%-def", &OptionCommands::def_add},
      {"option-def%-set", "set-option%-def", &OptionCommands::def_set},
      {"option-def%-get", "get-option%-def", &OptionCommands::def_get},
      {"option-def%-del", "del-option%-def", &OptionCommands::def_del},
      {"option%-add", "add-option%", &OptionCommands::value_add},
      {"option%-get", nullptr, &OptionCommands::value_get},
      {"option%-del", nullptr, &OptionCommands::value_del},
  };
  for (int digit : {4, 6}) {
    Family f{digit};
    auto with_digit = [digit](const std::string& pattern) {
      auto at = pattern.find('%');
      return pattern.substr(0, at) + std::to_string(digit) + pattern.substr(at + 1);
    };
    for (const Entry& e : entries) {
      std::string name = with_digit(e.name);
      Method m = e.method;
      if (auto st = d.add(name, [commands, m, f](const Args& a) { return ((*commands).*m)(a, f); }); !st) return st;
      if (e.alias)
        if (auto st = d.add_alias(with_digit(e.alias), name); !st) return st;
    }
  }
  return {};
}

}  // namespace leasehold::control
