#include "control/lease_commands.h"

#include <limits>
#include <memory>
#include <set>
#include <vector>

#include "control/lease_json.h"

namespace leasehold::control {

using lease::LeaseRecord;
using net::Address;
using net::Family;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

Address lowest(Family f) { return f == Family::v4 ? Address::v4(0) : Address::v6(0); }
const char* digit(Family f) { return f == Family::v4 ? "4" : "6"; }

class LeaseCommands {
 public:
  explicit LeaseCommands(LeaseCommandContext c) : ctx_(std::move(c)) {}

  Response add(const Args& args, Family f);
  Response get(const Args& args, Family f);
  Response update(const Args& args, Family f);
  Response del(const Args& args, Family f);
  Response get_all(const Args& args, Family f);
  Response get_page(const Args& args, Family f);
  Response wipe(const Args& args, Family f);

 private:
  // The lease the arguments name: by ip-address, or by identifier + subnet-id.
  Result<std::optional<LeaseRecord>> find(const Args& args, Family f);
  Response found_list(std::vector<LeaseRecord> leases, Family f, bool with_count);
  void changed() {
    if (ctx_.after_change) ctx_.after_change();
  }
  lease::Engine& engine() { return *ctx_.engine; }
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(*ctx_.engine_mutex); }

  LeaseCommandContext ctx_;
};

Response LeaseCommands::add(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto lease = read_admin_lease(args, f);
  if (!lease) return error_response(lease.error());
  Result<LeaseRecord> added = make_error(Errc::io, "");
  {
    auto held = lock();
    added = engine().add_lease(*lease);
  }
  if (!added) return error_response(added.error());
  changed();
  return answer(ResultCode::success, "Lease for address " + added->address.to_string() + ", subnet-id " +
                                         std::to_string(added->subnet_id) + " added.");
}

Result<std::optional<LeaseRecord>> LeaseCommands::find(const Args& args, Family f) {
  if (args.find("ip-address")) {
    auto a = read_address(args, "ip-address", f);
    if (!a) return a.error();
    auto held = lock();
    return engine().lease_at(*a);
  }
  if (!args.find("subnet-id")) return make_error(Errc::invalid_argument, "Mandatory 'subnet-id' parameter missing.");
  auto subnet = args.get_int("subnet-id", 0, kMaxU32);
  if (!subnet) return subnet.error();
  auto key = read_peer_identifier(args, f);
  if (!key) return key.error();
  auto held = lock();
  auto view = engine().lease_of(*key);
  if (!view) return std::optional<LeaseRecord>{};
  const auto& record = f == Family::v4 ? view->v4 : view->v6;
  if (!record || record->subnet_id != static_cast<std::uint32_t>(*subnet)) return std::optional<LeaseRecord>{};
  return record;
}

Response LeaseCommands::get(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto found = find(args, f);
  if (!found) return error_response(found.error());
  if (!*found) return answer(ResultCode::empty, "Lease not found.");
  return answer(ResultCode::success, family_word(f) + " lease found.", lease_to_json(**found));
}

Response LeaseCommands::update(const Args& args, Family f) {
  // Kea's lease4-update names itself here, unlike lease4-add.
  if (!args.present()) return answer(ResultCode::error, std::string("no parameters specified for lease") + digit(f) + "-update command");
  auto lease = read_admin_lease(args, f);
  if (!lease) return error_response(lease.error());
  auto force = args.optional_bool("force-create");
  if (!force) return error_response(force.error());
  bool created = false;
  Result<LeaseRecord> done = make_error(Errc::io, "");
  {
    auto held = lock();
    done = engine().update_lease(*lease);
    if (!done && done.error().code == Errc::not_found && force->value_or(false)) {
      done = engine().add_lease(*lease);
      created = true;
    }
  }
  if (!done) return error_response(done.error());
  changed();
  return answer(ResultCode::success, family_word(f) + (created ? " lease added." : " lease updated."));
}

Response LeaseCommands::del(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto mode = args.optional_string("mode");
  if (!mode) return error_response(mode.error());
  std::string m = mode->value_or("remove");
  if (m != "remove" && m != "release")
    return answer(ResultCode::error, "Invalid 'mode' value '" + m.substr(0, 100) + "': expected 'remove' or 'release'");
  auto found = find(args, f);
  if (!found) return error_response(found.error());
  if (!*found) return answer(ResultCode::empty, family_word(f) + " lease not found.");
  Result<LeaseRecord> removed = make_error(Errc::io, "");
  {
    auto held = lock();
    removed = engine().remove_lease((*found)->address, m == "release");
  }
  if (!removed) return error_response(removed.error());
  changed();
  return answer(ResultCode::success, family_word(f) + " lease deleted.");
}

Response LeaseCommands::found_list(std::vector<LeaseRecord> leases, Family f, bool with_count) {
  json list = json::array();
  for (const auto& r : leases) list.push_back(lease_to_json(r));
  json arguments = {{"leases", std::move(list)}};
  if (with_count) arguments["count"] = leases.size();
  ResultCode code = leases.empty() ? ResultCode::empty : ResultCode::success;
  return answer(code, std::to_string(leases.size()) + " " + family_word(f) + " lease(s) found.", std::move(arguments));
}

Response LeaseCommands::get_all(const Args& args, Family f) {
  std::optional<std::set<std::uint32_t>> subnets;
  if (args.find("subnets")) {
    auto list = args.get_list("subnets");
    if (!list) return error_response(list.error());
    subnets.emplace();
    for (const json& id : **list) {
      if (!id.is_number_unsigned() || id.get<std::uint64_t>() > kMaxU32)
        return answer(ResultCode::error, "listed subnet identifiers must be numbers");
      subnets->insert(id.get<std::uint32_t>());
    }
  }
  std::vector<LeaseRecord> leases;
  {
    auto held = lock();
    engine().for_each_lease_from(lowest(f), [&](const LeaseRecord& r) {
      if (!subnets || subnets->count(r.subnet_id)) leases.push_back(r);
      return true;
    });
  }
  return found_list(std::move(leases), f, false);
}

Response LeaseCommands::get_page(const Args& args, Family f) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto from = args.get_string("from");
  if (!from) return error_response(from.error());
  auto limit = args.get_int("limit", 0, kMaxU32);
  if (!limit) return error_response(limit.error());
  if (*limit == 0) return answer(ResultCode::error, "page size of retrieved leases must not be 0");
  std::optional<Address> after;
  if (*from != "start") {
    auto a = read_address(args, "from", f);
    if (!a) return error_response(a.error());
    after = *a;
  }
  std::vector<LeaseRecord> leases;
  {
    auto held = lock();
    engine().for_each_lease_from(after ? *after : lowest(f), [&](const LeaseRecord& r) {
      if (after && r.address == *after) return true;  // the page starts after "from"
      leases.push_back(r);
      return leases.size() < static_cast<std::size_t>(*limit);
    });
  }
  return found_list(std::move(leases), f, true);
}

Response LeaseCommands::wipe(const Args& args, Family f) {
  if (args.find("identifier-type") || args.find("identifier")) {
    // All leases of one peer in this family (at most one: a peer holds one per family).
    auto key = read_peer_identifier(args, f);
    if (!key) return error_response(key.error());
    std::size_t n = 0;
    {
      auto held = lock();
      auto view = engine().lease_of(*key);
      const auto& record = !view ? std::nullopt : (f == Family::v4 ? view->v4 : view->v6);
      if (record && engine().remove_lease(record->address, false)) n = 1;
    }
    if (n) changed();
    return answer(n ? ResultCode::success : ResultCode::empty,
                  "Deleted " + std::to_string(n) + " " + family_word(f) + " lease(s) of the peer");
  }
  auto subnet = args.optional_int("subnet-id", 0, kMaxU32);
  if (!subnet) return error_response(subnet.error());
  std::optional<std::uint32_t> only;
  if (*subnet && **subnet != 0) only = static_cast<std::uint32_t>(**subnet);
  std::size_t n = 0;
  std::string ids;
  {
    auto held = lock();
    n = engine().wipe(f, only);  // an unknown subnet has nothing to wipe: 3, as Kea answers
    if (only) ids = std::to_string(*only);
    else
      for (const auto& s : engine().policy().subnets)
        if (s.prefix.family() == f) ids += (ids.empty() ? "" : " ") + std::to_string(s.id);
  }
  if (n) changed();
  return answer(n ? ResultCode::success : ResultCode::empty,
                "Deleted " + std::to_string(n) + " " + family_word(f) + " lease(s) from subnet(s) " + ids);
}

}  // namespace

Status register_lease_commands(Dispatcher& d, LeaseCommandContext context) {
  auto commands = std::make_shared<LeaseCommands>(std::move(context));
  using Method = Response (LeaseCommands::*)(const Args&, Family);
  struct Entry {
    const char* name;  // with "%" for the family digit
    const char* alias;  // the spec's name, or nullptr
    Method method;
  };
  const Entry entries[] = {
      {"lease%-add", "add-lease%", &LeaseCommands::add},
      {"lease%-get", "get-lease%", &LeaseCommands::get},
      {"lease%-update", "update-lease%", &LeaseCommands::update},
      {"lease%-del", "delete-lease%", &LeaseCommands::del},
      {"lease%-get-all", nullptr, &LeaseCommands::get_all},
      {"lease%-get-page", nullptr, &LeaseCommands::get_page},
      {"lease%-wipe", nullptr, &LeaseCommands::wipe},
  };
  auto with_digit = [](std::string pattern, Family f) {
    auto at = pattern.find('%');  // (built by hand: GCC 12's -Wrestrict misreads replace() at -O3)
    return pattern.substr(0, at) + digit(f) + pattern.substr(at + 1);
  };
  for (Family f : {Family::v4, Family::v6}) {
    for (const Entry& e : entries) {
      std::string name = with_digit(e.name, f);
      Method m = e.method;
      if (auto st = d.add(name, [commands, m, f](const Args& a) { return ((*commands).*m)(a, f); }); !st) return st;
      if (e.alias)
        if (auto st = d.add_alias(with_digit(e.alias, f), name); !st) return st;
    }
  }
  return {};
}

}  // namespace leasehold::control
