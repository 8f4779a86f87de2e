#include "control/subnet_commands.h"

#include <limits>
#include <memory>
#include <vector>

#include "control/lease_json.h"

namespace leasehold::control {

using net::Family;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

enum class LeasesPolicy { keep, drain, remove };

const char* list_key(Family f) { return f == Family::v4 ? "subnet4" : "subnet6"; }

std::string describe(const json& entry) {
  return entry.value("subnet", std::string("?")) + " (id " + std::to_string(entry.value("id", 0u)) + ")";
}

json id_and_prefix(const json& entry) {
  return json{{"id", entry.value("id", 0u)}, {"subnet", entry.value("subnet", std::string())}};
}

bool in_pools(const lease::SubnetSpec& s, const net::Address& a) {
  for (const auto& p : s.pools)
    if (p.range.contains(a)) return true;
  return false;
}

class SubnetCommands {
 public:
  explicit SubnetCommands(SubnetCommandContext c) : ctx_(std::move(c)) {}

  Response list(const Args& args, Family f);
  Response get(const Args& args, Family f);
  Response count(const Args& args, Family f);
  Response add(const Args& args, Family f);
  Response update(const Args& args, Family f);
  Response del(const Args& args, Family f);

 private:
  json entries(Family f) {
    json running = ctx_.running_config();
    const json* list = running.is_object() && running.contains(list_key(f)) ? &running[list_key(f)] : nullptr;
    return list && list->is_array() ? *list : json::array();
  }
  Result<json> one_entry(const Args& args, Family f);
  Result<LeasesPolicy> leases_policy(const Args& args);
  // Applies the configuration with `list` as the family's subnets; then treats the leases
  // of subnet `id` that the change left outside it as `policy` says.
  Status replace_list(Family f, json list, std::uint32_t id, LeasesPolicy policy);

  SubnetCommandContext ctx_;
};

std::string family_count(std::size_t n, Family f) {
  return std::to_string(n) + " " + family_word(f) + " subnet" + (n == 1 ? "" : "s");
}

Response SubnetCommands::list(const Args&, Family f) {
  json out = json::array();
  for (const json& e : entries(f)) out.push_back(id_and_prefix(e));
  if (out.empty()) return answer(ResultCode::empty, "No " + family_word(f) + " subnets found", json{{"subnets", out}});
  std::string text = family_count(out.size(), f) + " found";
  return answer(ResultCode::success, std::move(text), json{{"subnets", std::move(out)}});
}

Response SubnetCommands::count(const Args&, Family f) {
  std::size_t n = entries(f).size();
  return answer(n ? ResultCode::success : ResultCode::empty, family_count(n, f) + " configured", json{{"count", n}});
}

Response SubnetCommands::get(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  json list = entries(f);
  const json* found = nullptr;
  std::string what;
  if (args.find("id")) {
    auto id = args.get_int("id", 1, kMaxU32);
    if (!id) return error_response(id.error());
    what = "with id " + std::to_string(*id);
    for (const json& e : list)
      if (e.value("id", 0u) == static_cast<std::uint64_t>(*id)) found = &e;
  } else if (args.find("subnet")) {
    auto text = args.get_string("subnet");
    if (!text) return error_response(text.error());
    auto prefix = net::Prefix::parse(*text);
    if (!prefix) return answer(ResultCode::error, "Invalid subnet '" + text->substr(0, 100) + "': " + prefix.error().message);
    what = prefix->to_string();
    for (const json& e : list) {
      auto p = net::Prefix::parse(e.value("subnet", std::string()));
      if (p && *p == *prefix) found = &e;
    }
  } else if (args.find("index")) {
    auto index = args.get_int("index", 0, kMaxU32);
    if (!index) return error_response(index.error());
    what = "at index " + std::to_string(*index);
    if (static_cast<std::size_t>(*index) < list.size()) found = &list[static_cast<std::size_t>(*index)];
  } else {
    return answer(ResultCode::error, "missing 'id', 'subnet' or 'index' parameter");
  }
  if (!found) return answer(ResultCode::empty, "No " + family_word(f) + " subnet " + what + " found");
  return answer(ResultCode::success, "Info about " + family_word(f) + " subnet " + describe(*found) + " returned",
                json{{list_key(f), json::array({*found})}});
}

Result<json> SubnetCommands::one_entry(const Args& args, Family f) {
  if (!args.present()) return make_error(Errc::invalid_argument, std::string(kNoParameters));
  auto list = args.get_list(list_key(f));
  if (!list) return list.error();
  if ((*list)->size() != 1 || !(**list)[0].is_object())
    return make_error(Errc::invalid_argument, std::string("invalid number of subnets specified: '") + list_key(f) +
                                                  "' must list exactly one subnet object");
  const json& entry = (**list)[0];
  if (!entry.contains("id") || !entry["id"].is_number_unsigned() || entry["id"].get<std::uint64_t>() == 0 ||
      entry["id"].get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxU32))
    return make_error(Errc::invalid_argument, "the subnet needs an 'id' from 1 to 4294967295");
  return entry;
}

Result<LeasesPolicy> SubnetCommands::leases_policy(const Args& args) {
  auto text = args.optional_string("leases");
  if (!text) return text.error();
  std::string p = text->value_or("keep");
  if (p == "keep") return LeasesPolicy::keep;
  if (p == "drain") return LeasesPolicy::drain;
  if (p == "delete") return LeasesPolicy::remove;
  return make_error(Errc::invalid_argument, "Invalid 'leases' value '" + p.substr(0, 100) + "': expected keep, drain or delete");
}

Status SubnetCommands::replace_list(Family f, json list, std::uint32_t id, LeasesPolicy policy) {
  // The subnet's leases before the change, and its definition then.
  std::vector<net::Address> before;
  std::optional<lease::SubnetSpec> old_spec;
  {
    std::lock_guard lock(*ctx_.engine_mutex);
    if (const lease::SubnetSpec* s = ctx_.engine->subnet_by_id(f, id)) {
      old_spec = *s;
      ctx_.engine->for_each_lease_from(s->prefix.first(), [&](const lease::LeaseRecord& r) {
        if (!s->prefix.contains(r.address)) return false;
        if (r.subnet_id == id) before.push_back(r.address);
        return true;
      });
    }
  }
  json running = ctx_.running_config();
  if (!running.is_object()) running = json::object();
  running[list_key(f)] = std::move(list);
  if (auto st = ctx_.apply(std::move(running)); !st) return st;
  if (policy == LeasesPolicy::keep || before.empty()) return {};
  std::size_t touched = 0;
  {
    std::lock_guard lock(*ctx_.engine_mutex);
    const lease::SubnetSpec* now = ctx_.engine->subnet_by_id(f, id);
    for (const auto& a : before) {
      // Still served: inside the subnet, and in a pool if it was in one before.
      bool was_pooled = old_spec && in_pools(*old_spec, a);
      if (now && now->prefix.contains(a) && (in_pools(*now, a) || !was_pooled)) continue;
      if (policy == LeasesPolicy::remove) touched += ctx_.engine->remove_lease(a, false).ok();
      else touched += ctx_.engine->drain(a);
    }
  }
  if (touched && ctx_.after_change) ctx_.after_change();
  return {};
}

Response SubnetCommands::add(const Args& args, Family f) {
  auto entry = one_entry(args, f);
  if (!entry) return error_response(entry.error());
  auto id = (*entry)["id"].get<std::uint32_t>();
  json list = entries(f);
  for (const json& e : list)
    if (e.value("id", 0u) == id)
      return answer(ResultCode::conflict, family_word(f) + " subnet with id " + std::to_string(id) + " already exists");
  list.push_back(*entry);
  if (auto st = replace_list(f, std::move(list), id, LeasesPolicy::keep); !st)
    return answer(ResultCode::error, st.error().message);
  return answer(ResultCode::success, family_word(f) + " subnet added", json{{"subnets", json::array({id_and_prefix(*entry)})}});
}

Response SubnetCommands::update(const Args& args, Family f) {
  auto entry = one_entry(args, f);
  if (!entry) return error_response(entry.error());
  auto policy = leases_policy(args);
  if (!policy) return error_response(policy.error());
  auto id = (*entry)["id"].get<std::uint32_t>();
  json list = entries(f);
  bool found = false;
  for (json& e : list)
    if (e.value("id", 0u) == id) {
      e = *entry;
      found = true;
    }
  if (!found) return answer(ResultCode::empty, "Can't update subnet: no " + family_word(f) + " subnet with id " + std::to_string(id));
  if (auto st = replace_list(f, std::move(list), id, *policy); !st) return answer(ResultCode::error, st.error().message);
  return answer(ResultCode::success, family_word(f) + " subnet updated", json{{"subnets", json::array({id_and_prefix(*entry)})}});
}

Response SubnetCommands::del(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto id = args.get_int("id", 1, kMaxU32);
  if (!id) return error_response(id.error());
  auto policy = leases_policy(args);
  if (!policy) return error_response(policy.error());
  json list = entries(f);
  json kept = json::array();
  std::optional<json> gone;
  for (const json& e : list) {
    if (e.value("id", 0u) == static_cast<std::uint64_t>(*id)) gone = e;
    else kept.push_back(e);
  }
  if (!gone) return answer(ResultCode::empty, "no subnet with id " + std::to_string(*id) + " found");
  if (auto st = replace_list(f, std::move(kept), static_cast<std::uint32_t>(*id), *policy); !st)
    return answer(ResultCode::error, st.error().message);
  return answer(ResultCode::success, family_word(f) + " subnet " + std::to_string(*id) + " (" + gone->value("subnet", std::string()) + ") deleted",
                json{{"subnets", json::array({id_and_prefix(*gone)})}});
}

}  // namespace

Status register_subnet_commands(Dispatcher& d, SubnetCommandContext context) {
  auto commands = std::make_shared<SubnetCommands>(std::move(context));
  using Method = Response (SubnetCommands::*)(const Args&, Family);
  struct Entry {
    const char* name;   // "%" stands for the family digit
    const char* alias;  // the spec's name, or nullptr
    Method method;
  };
  const Entry entries[] = {
      {"subnet%-list", nullptr, &SubnetCommands::list},
      {"subnet%-get", "get-subnet%", &SubnetCommands::get},
      {"get-subnet%-count", nullptr, &SubnetCommands::count},
      {"subnet%-add", "add-subnet%", &SubnetCommands::add},
      {"subnet%-update", "update-subnet%", &SubnetCommands::update},
      {"subnet%-del", "delete-subnet%", &SubnetCommands::del},
  };
  for (Family f : {Family::v4, Family::v6}) {
    auto with_digit = [f](std::string pattern) {
      auto at = pattern.find('%');  // (built by hand: GCC 12's -Wrestrict misreads replace() at -O3)
      return pattern.substr(0, at) + (f == Family::v4 ? "4" : "6") + pattern.substr(at + 1);
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
