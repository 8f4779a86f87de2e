#include "control/statistic_commands.h"

namespace leasehold::control {

using nlohmann::json;

namespace {

json samples_of(std::int64_t value, std::int64_t changed_us) {
  return json::array({json::array({value, stats::kea_time(changed_us)})});
}

Result<std::string> name_argument(const Args& args) {
  if (!args.find("name")) return make_error(Errc::invalid_argument, "Missing mandatory 'name' parameter.");
  auto name = args.get_string("name");
  if (!name) return make_error(Errc::invalid_argument, "'name' parameter expected to be a string.");
  return *name;
}

}  // namespace

Status register_statistic_commands(Dispatcher& d, stats::Registry& registry) {
  stats::Registry* r = &registry;
  auto get = [r](const Args& args) {
    auto name = name_argument(args);
    if (!name) return error_response(name.error());
    json out = json::object();
    if (stats::Stat* s = r->find(*name)) out[*name] = samples_of(s->value(), s->changed_us());
    return answer_arguments(ResultCode::success, std::move(out));
  };
  auto get_all = [r](const Args&) {
    json out = json::object();
    for (const auto& s : r->snapshot()) out[s.name] = samples_of(s.value, s.changed_us);
    return answer_arguments(ResultCode::success, std::move(out));
  };
  // statistic-reset and statistic-remove: one named statistic, which must exist.
  auto on_named = [r](void (stats::Stat::*action)(), std::string verb) {
    return [r, action, verb](const Args& args) {
      auto name = name_argument(args);
      if (!name) return error_response(name.error());
      stats::Stat* s = r->find(*name);
      if (!s) return answer(ResultCode::error, "No '" + name->substr(0, 100) + "' statistic found");
      (s->*action)();
      return answer(ResultCode::success, "Statistic '" + *name + "' " + verb + ".");
    };
  };
  Handler reset = on_named(&stats::Stat::reset, "reset");
  Handler remove = on_named(&stats::Stat::remove, "removed");
  auto reset_all = [r](const Args&) {
    r->reset_all();
    return answer(ResultCode::success, "All statistics reset to neutral values.");
  };
  auto remove_all = [r](const Args&) {
    r->remove_all();
    return answer(ResultCode::success, "All statistics removed.");
  };
  const std::pair<const char*, Handler> table[] = {
      {"statistic-get", get},         {"statistic-get-all", get_all},       {"statistic-reset", reset},
      {"statistic-reset-all", reset_all}, {"statistic-remove", remove}, {"statistic-remove-all", remove_all},
  };
  for (const auto& [name, handler] : table)
    if (auto st = d.add(name, handler); !st) return st;
  return {};
}

}  // namespace leasehold::control
