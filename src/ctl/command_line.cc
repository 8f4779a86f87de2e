#include "ctl/command_line.h"

namespace leasehold::ctl {

using nlohmann::json;

Status add_pair(json& arguments, std::string_view word) {
  bool force_json = false;
  auto eq = word.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return make_error(Errc::invalid_argument, "'" + std::string(word) + "': expected key=value");
  std::string key(word.substr(0, eq));
  std::string_view value = word.substr(eq + 1);
  if (key.back() == ':') {
    key.pop_back();
    force_json = true;
    if (key.empty()) return make_error(Errc::invalid_argument, "'" + std::string(word) + "': empty key");
  }
  json parsed = json::parse(value, nullptr, false);
  if (force_json) {
    if (parsed.is_discarded()) return make_error(Errc::invalid_argument, "'" + key + "': the value is not JSON");
    arguments[key] = std::move(parsed);
  } else if (!parsed.is_discarded() && !parsed.is_string()) {
    arguments[key] = std::move(parsed);
  } else {
    arguments[key] = std::string(value);
  }
  return {};
}

Result<json> build_command(const std::string& name, const std::vector<std::string>& pairs, const std::optional<json>& base) {
  if (name.empty()) return make_error(Errc::invalid_argument, "no command given");
  json command = {{"command", name}};
  if (!base && pairs.empty()) return command;
  json arguments = base ? *base : json::object();
  for (const auto& p : pairs)
    if (auto st = add_pair(arguments, p); !st) return st.error();
  command["arguments"] = std::move(arguments);
  return command;
}

Result<json> parse_arguments_text(std::string_view text) {
  json parsed = json::parse(text, nullptr, false, true);
  if (parsed.is_discarded()) return make_error(Errc::invalid_argument, "the arguments are not valid JSON");
  if (!parsed.is_object()) return make_error(Errc::invalid_argument, "the arguments must be a JSON object");
  return parsed;
}

int exit_status_for(const json& answer) {
  const json* a = &answer;
  if (answer.is_array() && answer.size() == 1) a = &answer[0];
  if (!a->is_object() || !a->contains("result") || !(*a)["result"].is_number_integer()) return 1;
  int r = (*a)["result"].get<int>();
  return r >= 0 && r <= 4 ? r : 1;
}

}  // namespace leasehold::ctl
