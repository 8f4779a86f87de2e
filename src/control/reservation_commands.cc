#include "control/reservation_commands.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <memory>

#include "control/lease_json.h"

namespace leasehold::control {

using net::Address;
using net::Family;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr const char* kIdentifierTypes[] = {"public-key", "anode-address", "hw-address", "duid",
                                            "client-id",  "circuit-id",    "remote-id"};

bool is_identifier_type(std::string_view t) {
  return std::find(std::begin(kIdentifierTypes), std::end(kIdentifierTypes), t) != std::end(kIdentifierTypes);
}

// One host: its identity, the object shown to clients, and what the engine serves.
struct Host {
  std::string type;
  std::string identifier;  // normalised
  std::uint32_t subnet_id = 0;
  json object;
  std::vector<Address> addresses;  // ip-address and ip-addresses
  std::vector<net::Prefix> prefixes;
  bool from_config = false;

  std::string id() const { return type + ":" + identifier + ":" + std::to_string(subnet_id); }
  std::optional<lease::ReservationSpec> spec() const {
    if (type != "public-key") return std::nullopt;
    lease::ReservationSpec r;
    r.key = *lease::PublicKey::from_base64(identifier);
    for (const auto& a : addresses) {
      auto& slot = a.is_v4() ? r.v4 : r.v6;
      if (!slot) slot = a;
    }
    if (!r.v4 && !r.v6) return std::nullopt;  // a hostname-only host: nothing to serve
    return r;
  }
};

Result<std::string> normalise_identifier(const std::string& type, const std::string& text) {
  if (type == "public-key") {
    auto key = lease::PublicKey::from_base64(text);
    if (!key) return make_error(Errc::invalid_argument, "Invalid public-key identifier: " + key.error().message);
    return key->to_base64();
  }
  if (type == "anode-address")
    return make_error(Errc::invalid_argument, "anode-address reservations are not possible yet: no Anode peers are served.");
  if (text.empty() || text.size() > 256) return make_error(Errc::invalid_argument, "Invalid " + type + " identifier: empty or too long");
  std::string out;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    else if (c != ':' && c != '-' && c != ' ')
      return make_error(Errc::invalid_argument, "Invalid " + type + " identifier '" + text.substr(0, 100) + "': expected hex bytes");
  }
  if (out.size() % 2 != 0) return make_error(Errc::invalid_argument, "Invalid " + type + " identifier: odd number of hex digits");
  std::string colons;
  for (std::size_t i = 0; i < out.size(); i += 2) colons += (i ? ":" : "") + out.substr(i, 2);
  return colons;
}

Result<Address> parse_address(const json& v, std::string_view key, Family family) {
  if (!v.is_string()) return make_error(Errc::invalid_argument, "invalid type specified for parameter '" + std::string(key) + "'");
  auto a = Address::parse(v.get<std::string>());
  if (!a || a->family() != family)
    return make_error(Errc::invalid_argument, "Invalid " + family_word(family) + " address in '" + std::string(key) + "': " +
                                                  v.get<std::string>().substr(0, 100));
  return *a;
}

// Reads a host object ("reservation" of reservation-add / -update) and normalises it.
Result<Host> read_host(const json& object) {
  if (!object.is_object()) return make_error(Errc::invalid_argument, "reservation must be a map");
  static const char* allowed[] = {"public-key", "anode-address", "hw-address", "duid",     "client-id",   "circuit-id",
                                  "remote-id",  "subnet-id",     "ip-address", "ip-addresses", "prefixes", "hostname",
                                  "option-data", "user-context", "comment"};
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::find_if(std::begin(allowed), std::end(allowed), [&](const char* a) { return key == a; }) == std::end(allowed))
      return make_error(Errc::invalid_argument, "spurious '" + key.substr(0, 100) + "' parameter in the reservation");
  }
  Host h;
  for (const char* t : kIdentifierTypes) {
    if (!object.contains(t)) continue;
    if (!h.type.empty()) return make_error(Errc::invalid_argument, "a reservation has exactly one identifier; found " + h.type + " and " + t);
    if (!object[t].is_string()) return make_error(Errc::invalid_argument, std::string("invalid type specified for parameter '") + t + "'");
    h.type = t;
    auto id = normalise_identifier(t, object[t].get<std::string>());
    if (!id) return id.error();
    h.identifier = *id;
  }
  if (h.type.empty())
    return make_error(Errc::invalid_argument, "the reservation needs an identifier: public-key, anode-address, hw-address, duid, client-id, circuit-id or remote-id");
  h.object = json::object();
  h.object[h.type] = h.identifier;
  if (object.contains("subnet-id")) {
    const json& id = object["subnet-id"];
    if (!id.is_number_unsigned() || id.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxU32))
      return make_error(Errc::invalid_argument, "invalid type specified for parameter 'subnet-id'");
    h.subnet_id = id.get<std::uint32_t>();
  }
  h.object["subnet-id"] = h.subnet_id;
  if (object.contains("ip-address")) {
    auto a = parse_address(object["ip-address"], "ip-address", Family::v4);
    if (!a) return a.error();
    h.addresses.push_back(*a);
    h.object["ip-address"] = a->to_string();
  }
  for (const char* list_key : {"ip-addresses", "prefixes"}) {
    if (!object.contains(list_key)) continue;
    const json& list = object[list_key];
    if (!list.is_array()) return make_error(Errc::invalid_argument, std::string("'") + list_key + "' must be a list");
    json shown = json::array();
    for (const json& item : list) {
      if (std::string_view(list_key) == "ip-addresses") {
        auto a = parse_address(item, list_key, Family::v6);
        if (!a) return a.error();
        h.addresses.push_back(*a);
        shown.push_back(a->to_string());
      } else {
        auto p = item.is_string() ? net::Prefix::parse(item.get<std::string>()) : Result<net::Prefix>(make_error(Errc::invalid_argument, ""));
        if (!p || p->family() != Family::v6)
          return make_error(Errc::invalid_argument, "Invalid IPv6 prefix in 'prefixes': " + item.dump().substr(0, 100));
        h.prefixes.push_back(*p);
        shown.push_back(p->to_string());
      }
    }
    h.object[list_key] = std::move(shown);
  }
  if (object.contains("hostname")) {
    if (!object["hostname"].is_string()) return make_error(Errc::invalid_argument, "invalid type specified for parameter 'hostname'");
    auto name = normalise_hostname(object["hostname"].get<std::string>());
    if (!name) return name.error();
    h.object["hostname"] = *name;
  }
  if (object.contains("option-data")) {
    if (!object["option-data"].is_array()) return make_error(Errc::invalid_argument, "'option-data' must be a list");
    h.object["option-data"] = object["option-data"];
  }
  for (const char* key : {"user-context", "comment"})
    if (object.contains(key)) h.object[key] = object[key];
  return h;
}

// A reservation of the configuration file ({"public-key", "ip-addresses": [v4, v6]}), in
// the host shape of the commands.
std::optional<Host> host_from_config(const json& entry) {
  if (!entry.is_object() || !entry.contains("public-key") || !entry["public-key"].is_string()) return std::nullopt;
  json object = {{"public-key", entry["public-key"]}};
  json v6 = json::array();
  for (const json& a : entry.value("ip-addresses", json::array())) {
    auto parsed = a.is_string() ? Address::parse(a.get<std::string>()) : Result<Address>(make_error(Errc::invalid_argument, ""));
    if (!parsed) continue;
    if (parsed->is_v4()) object["ip-address"] = parsed->to_string();
    else v6.push_back(parsed->to_string());
  }
  if (!v6.empty()) object["ip-addresses"] = v6;
  if (entry.contains("hostname")) object["hostname"] = entry["hostname"];
  if (entry.contains("option-data")) object["option-data"] = entry["option-data"];
  auto host = read_host(object);
  if (!host) return std::nullopt;
  host->from_config = true;
  host->object["source"] = "config";
  return std::move(*host);
}

class ReservationCommands {
 public:
  explicit ReservationCommands(ReservationCommandContext c) : ctx_(std::move(c)) {}

  void load(std::vector<std::string>& warnings);
  Response add(const Args& args);
  Response get(const Args& args);
  Response update(const Args& args);
  Response del(const Args& args);
  Response get_all(const Args& args);
  Response get_page(const Args& args);

 private:
  std::vector<Host> all_hosts() const;  // configuration's, then stored, in id order
  Result<std::optional<Host>> find(const Args& args) const;
  Status check_addresses_free(const Host& h, const std::string& except_id) const;
  Status serve(const Host& h);      // engine side of an add
  void unserve(const Host& h);      // engine side of a delete
  Result<std::vector<Host>> hosts_in(const Args& args) const;

  ReservationCommandContext ctx_;
  std::map<std::string, Host> stored_;  // by id
};

void ReservationCommands::load(std::vector<std::string>& warnings) {
  Status st = ctx_.store->load_reservations([&](const std::string& id, const std::string& body) {
    json object = json::parse(body, nullptr, false);
    auto host = read_host(object);
    if (!host) {
      warnings.push_back("stored reservation " + id + " is unreadable: " + host.error().message);
      return;
    }
    if (auto served = serve(*host); !served)
      warnings.push_back("stored reservation " + id + " is not served: " + served.error().message);
    stored_[id] = std::move(*host);
  });
  if (!st) warnings.push_back("reading stored reservations: " + st.error().message);
}

std::vector<Host> ReservationCommands::all_hosts() const {
  std::vector<Host> out;
  json running = ctx_.running_config();
  if (running.is_object() && running.contains("reservations") && running["reservations"].is_array())
    for (const json& entry : running["reservations"])
      if (auto h = host_from_config(entry)) out.push_back(std::move(*h));
  for (const auto& [id, h] : stored_) out.push_back(h);
  return out;
}

Status ReservationCommands::check_addresses_free(const Host& h, const std::string& except_id) const {
  for (const Host& other : all_hosts()) {
    if (other.id() == except_id) continue;
    for (const auto& a : h.addresses)
      if (std::find(other.addresses.begin(), other.addresses.end(), a) != other.addresses.end())
        return make_error(Errc::conflict, "The address " + a.to_string() + " is already reserved.");
  }
  return {};
}

Status ReservationCommands::serve(const Host& h) {
  std::lock_guard lock(*ctx_.engine_mutex);
  if (h.subnet_id != 0)
    for (const auto& a : h.addresses) {
      const lease::SubnetSpec* s = ctx_.engine->subnet_by_id(a.family(), h.subnet_id);
      if (!s) return make_error(Errc::invalid_argument, "Invalid subnet-id: No " + family_word(a.family()) + " subnet with subnet-id=" +
                                                            std::to_string(h.subnet_id) + " currently configured.");
      if (!s->prefix.contains(a))
        return make_error(Errc::invalid_argument, "The address " + a.to_string() + " does not belong to subnet " +
                                                      s->prefix.to_string() + ", subnet-id=" + std::to_string(h.subnet_id));
    }
  if (h.type == "public-key" && ctx_.host_options && h.object.contains("option-data"))
    if (auto st = ctx_.host_options(h.identifier, h.object["option-data"]); !st) return st;
  auto spec = h.spec();
  if (!spec) return {};
  if (auto st = ctx_.engine->add_reservation(*spec); !st) {
    if (h.type == "public-key" && ctx_.host_options) (void)ctx_.host_options(h.identifier, nullptr);
    return st;
  }
  return {};
}

void ReservationCommands::unserve(const Host& h) {
  if (h.type == "public-key" && ctx_.host_options) (void)ctx_.host_options(h.identifier, nullptr);
  auto spec = h.spec();
  if (!spec) return;
  std::lock_guard lock(*ctx_.engine_mutex);
  (void)ctx_.engine->remove_reservation(spec->key);
}

Response ReservationCommands::add(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto object = args.get_object("reservation");
  if (!object) return error_response(object.error());
  auto host = read_host(**object);
  if (!host) return error_response(host.error());
  for (const Host& h : all_hosts())
    if (h.id() == host->id()) return answer(ResultCode::conflict, "Host already exists.");
  if (auto st = check_addresses_free(*host, ""); !st) return error_response(st.error());
  if (auto st = serve(*host); !st) return error_response(st.error());
  if (auto st = ctx_.store->put_reservation(host->id(), host->object.dump()); !st) {
    unserve(*host);
    return answer(ResultCode::error, "Host not added: the store failed: " + st.error().message);
  }
  stored_[host->id()] = *host;
  return answer(ResultCode::success, "Host added.");
}

Result<std::optional<Host>> ReservationCommands::find(const Args& args) const {
  auto subnet = args.optional_int("subnet-id", 0, kMaxU32);
  if (!subnet) return subnet.error();
  auto in_subnet = [&](const Host& h) { return !*subnet || h.subnet_id == static_cast<std::uint32_t>(**subnet); };
  std::vector<Host> hosts = all_hosts();
  if (args.find("identifier-type") || args.find("identifier")) {
    auto type = args.get_string("identifier-type");
    if (!type) return type.error();
    auto text = args.get_string("identifier");
    if (!text) return text.error();
    if (!is_identifier_type(*type))
      return make_error(Errc::invalid_argument, "Incorrect identifier type: " + type->substr(0, 100) +
                                                    ", the only supported values are: public-key, anode-address, hw-address, duid, client-id, circuit-id, remote-id");
    auto id = normalise_identifier(*type, *text);
    if (!id) return id.error();
    for (const Host& h : hosts)
      if (h.type == *type && h.identifier == *id && in_subnet(h)) return std::optional<Host>(h);
    return std::optional<Host>();
  }
  if (args.find("ip-address")) {
    auto text = args.get_string("ip-address");
    if (!text) return text.error();
    auto a = Address::parse(*text);
    if (!a) return make_error(Errc::invalid_argument, "Failed to convert '" + text->substr(0, 100) + "' to address: " + a.error().message);
    for (const Host& h : hosts)
      if (in_subnet(h) && std::find(h.addresses.begin(), h.addresses.end(), *a) != h.addresses.end()) return std::optional<Host>(h);
    return std::optional<Host>();
  }
  if (args.find("prefix")) {
    auto text = args.get_string("prefix");
    if (!text) return text.error();
    auto p = net::Prefix::parse(*text);
    if (!p) return make_error(Errc::invalid_argument, "Invalid prefix '" + text->substr(0, 100) + "': " + p.error().message);
    for (const Host& h : hosts)
      if (in_subnet(h) && std::find(h.prefixes.begin(), h.prefixes.end(), *p) != h.prefixes.end()) return std::optional<Host>(h);
    return std::optional<Host>();
  }
  return make_error(Errc::invalid_argument, "missing parameter: give 'identifier-type' and 'identifier', 'ip-address' or 'prefix'");
}

Response ReservationCommands::get(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto found = find(args);
  if (!found) return error_response(found.error());
  if (!*found) return answer(ResultCode::empty, "Host not found.");
  return answer(ResultCode::success, "Host found.", (*found)->object);
}

Response ReservationCommands::update(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kNoParameters));
  auto object = args.get_object("reservation");
  if (!object) return error_response(object.error());
  auto host = read_host(**object);
  if (!host) return error_response(host.error());
  auto it = stored_.find(host->id());
  if (it == stored_.end()) {
    for (const Host& h : all_hosts())
      if (h.id() == host->id())
        return answer(ResultCode::error, "The reservation comes from the configuration file; change it with config-set.");
    return answer(ResultCode::empty, "Host not updated (not found).");
  }
  if (auto st = check_addresses_free(*host, host->id()); !st) return error_response(st.error());
  Host old = it->second;
  unserve(old);
  if (auto st = serve(*host); !st) {
    (void)serve(old);
    return error_response(st.error());
  }
  if (auto st = ctx_.store->put_reservation(host->id(), host->object.dump()); !st) {
    unserve(*host);
    (void)serve(old);
    return answer(ResultCode::error, "Host not updated: the store failed: " + st.error().message);
  }
  it->second = *host;
  return answer(ResultCode::success, "Host updated.");
}

Response ReservationCommands::del(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto delete_leases = args.optional_bool("delete-leases");
  if (!delete_leases) return error_response(delete_leases.error());
  auto found = find(args);
  if (!found) return error_response(found.error());
  if (!*found) return answer(ResultCode::empty, "Host not deleted (not found).");
  const Host& h = **found;
  if (h.from_config)
    return answer(ResultCode::error, "The reservation comes from the configuration file; change it with config-set.");
  if (auto st = ctx_.store->delete_reservation(h.id()); !st)
    return answer(ResultCode::error, "Host not deleted: the store failed: " + st.error().message);
  unserve(h);
  std::size_t ended = 0;
  if (delete_leases->value_or(false) && h.type == "public-key") {
    std::lock_guard lock(*ctx_.engine_mutex);
    if (auto view = ctx_.engine->lease_of(*lease::PublicKey::from_base64(h.identifier)))
      for (const auto& r : {view->v4, view->v6})
        if (r) ended += ctx_.engine->remove_lease(r->address, false).ok();
  }
  if (ended && ctx_.after_change) ctx_.after_change();
  stored_.erase(h.id());
  return answer(ResultCode::success, "Host deleted.");
}

Result<std::vector<Host>> ReservationCommands::hosts_in(const Args& args) const {
  auto subnet = args.optional_int("subnet-id", 0, kMaxU32);
  if (!subnet) return subnet.error();
  std::vector<Host> out;
  for (Host& h : all_hosts())
    if (!*subnet || h.subnet_id == static_cast<std::uint32_t>(**subnet)) out.push_back(std::move(h));
  return out;
}

Response ReservationCommands::get_all(const Args& args) {
  auto hosts = hosts_in(args);
  if (!hosts) return error_response(hosts.error());
  json list = json::array();
  for (const Host& h : *hosts) list.push_back(h.object);
  std::string text = std::to_string(list.size()) + " host(s) found.";
  return answer(list.empty() ? ResultCode::empty : ResultCode::success, std::move(text), json{{"hosts", std::move(list)}});
}

// Pages by position in the id-ordered list: "from" is where the previous page's "next"
// pointed (0 at the start).
Response ReservationCommands::get_page(const Args& args) {
  if (!args.present()) return answer(ResultCode::error, std::string(kParametersNotMap));
  auto limit = args.get_int("limit", 1, kMaxU32);
  if (!limit) return error_response(limit.error());
  auto from = args.optional_int("from", 0, kMaxU32);
  if (!from) return error_response(from.error());
  auto hosts = hosts_in(args);
  if (!hosts) return error_response(hosts.error());
  std::size_t start = static_cast<std::size_t>(from->value_or(0));
  json list = json::array();
  for (std::size_t i = start; i < hosts->size() && list.size() < static_cast<std::size_t>(*limit); ++i) list.push_back((*hosts)[i].object);
  std::size_t n = list.size();
  json arguments = {{"count", n}, {"hosts", std::move(list)}, {"next", {{"from", start + n}}}};
  return answer(n ? ResultCode::success : ResultCode::empty, std::to_string(n) + " host(s) found.", std::move(arguments));
}

}  // namespace

Status register_reservation_commands(Dispatcher& d, ReservationCommandContext context, std::vector<std::string>& warnings) {
  auto commands = std::make_shared<ReservationCommands>(std::move(context));
  commands->load(warnings);
  using Method = Response (ReservationCommands::*)(const Args&);
  const std::tuple<const char*, const char*, Method> table[] = {
      {"reservation-add", "add-reservation", &ReservationCommands::add},
      {"reservation-get", "get-reservation", &ReservationCommands::get},
      {"reservation-update", "update-reservation", &ReservationCommands::update},
      {"reservation-del", "delete-reservation", &ReservationCommands::del},
      {"reservation-get-all", nullptr, &ReservationCommands::get_all},
      {"reservation-get-page", nullptr, &ReservationCommands::get_page},
  };
  for (const auto& [name, alias, method] : table) {
    Method m = method;
    if (auto st = d.add(name, [commands, m](const Args& a) { return ((*commands).*m)(a); }); !st) return st;
    if (alias)
      if (auto st = d.add_alias(alias, name); !st) return st;
  }
  return {};
}

}  // namespace leasehold::control
