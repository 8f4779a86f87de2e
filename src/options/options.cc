#include "options/options.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "net/address.h"

namespace leasehold::options {

using nlohmann::json;

namespace {

constexpr const char* kTypes[] = {"ipv4-address", "ipv6-address", "ipv4-prefix", "ipv6-prefix", "fqdn",  "string",
                                  "boolean",      "uint8",        "uint16",      "uint32",      "int8",  "int16",
                                  "int32",        "binary"};

// Keys the request_ip protocol itself uses: an option of that name would be misread.
constexpr const char* kReservedNames[] = {"ip", "ipv4", "ipv6", "leasestart", "leasetime", "errno", "errmsg", "request_ip"};

// `space` is "dhcp4", "dhcp6", or kAnySpace (either; dhcp4 when not said).
std::string default_space(const std::string& space) { return space == kAnySpace ? "dhcp4" : space; }
bool space_allowed(const std::string& given, const std::string& space) {
  return space == kAnySpace ? given == "dhcp4" || given == "dhcp6" : given == space;
}

Error bad(const std::string& path, const std::string& why) { return make_error(Errc::invalid_argument, path + ": " + why); }

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) return false;
  return std::none_of(std::begin(kReservedNames), std::end(kReservedNames), [&](const char* r) { return name == r; });
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

bool valid_fqdn(const std::string& s) {
  if (s.empty() || s.size() > 254) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return true;
}

// One item of data, normalised, or why it does not fit the type.
Result<std::string> normalise_item(const std::string& type, const std::string& raw) {
  std::string item = trim(raw);
  auto fail = [&](const std::string& what) {
    // Appended piece by piece: GCC 12 -O3 misreads one long chain of '+' (-Wrestrict).
    std::string message = "'";
    message.append(item, 0, 100);
    message.append("' is not ");
    message.append(what);
    return make_error(Errc::invalid_argument, std::move(message));
  };
  if (type == "ipv4-address" || type == "ipv6-address") {
    auto a = net::Address::parse(item);
    if (!a || a->is_v4() != (type == "ipv4-address")) return fail("an " + type);
    return a->to_string();
  }
  if (type == "ipv4-prefix" || type == "ipv6-prefix") {
    auto p = net::Prefix::parse(item);
    if (!p || (p->family() == net::Family::v4) != (type == "ipv4-prefix")) return fail("an " + type);
    return p->to_string();
  }
  if (type == "fqdn") {
    if (!valid_fqdn(item)) return fail("a domain name");
    std::string lower = item;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
  }
  if (type == "boolean") {
    if (item == "true" || item == "1") return std::string("true");
    if (item == "false" || item == "0") return std::string("false");
    return fail("true or false");
  }
  if (type.rfind("uint", 0) == 0 || type.rfind("int", 0) == 0) {
    bool is_signed = type[0] == 'i';
    int bits = std::stoi(type.substr(is_signed ? 3 : 4));
    long long min = is_signed ? -(1LL << (bits - 1)) : 0;
    long long max = is_signed ? (1LL << (bits - 1)) - 1 : (1LL << bits) - 1;
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < min || v > max)
      return fail("a " + type + " (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    return std::to_string(v);
  }
  if (type == "binary") {
    std::string hex;
    for (char c : item)
      if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      else if (c != ':' && c != ' ') return fail("hex bytes");
    if (hex.empty() || hex.size() % 2) return fail("hex bytes");
    return hex;
  }
  // string: anything that cannot break a key=value line.
  if (item.empty() || item.size() > 255) return fail("a string of 1 to 255 bytes");
  for (unsigned char c : item)
    if (c < 0x20 || c == 0x7f || c == '=') return fail("printable text without '='");
  return item;
}

Result<std::string> normalise_data(const OptionDef& def, const std::string& data) {
  std::vector<std::string> items;
  if (def.array || def.type != "string") {
    std::size_t start = 0;
    for (;;) {
      auto comma = data.find(',', start);
      items.push_back(data.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    items.push_back(data);
  }
  if (!def.array && items.size() != 1) return make_error(Errc::invalid_argument, "option " + def.name + " takes one value");
  std::string out;
  for (const auto& raw : items) {
    auto item = normalise_item(def.type, raw);
    if (!item) return make_error(Errc::invalid_argument, "option " + def.name + ": " + item.error().message);
    out += (out.empty() ? "" : ",") + *item;
  }
  return out;
}

const OptionDef* find_def(const std::vector<OptionDef>& defs, const std::string& space, const std::string* name,
                          const std::uint16_t* code) {
  for (const auto& d : defs)
    if (d.space == space && ((name && d.name == *name) || (code && d.code == *code))) return &d;
  return nullptr;
}

}  // namespace

json OptionDef::to_json() const {
  json j = {{"name", name}, {"code", code}, {"type", type}, {"array", array}, {"space", space}};
  if (standard) j["standard"] = true;
  return j;
}

json OptionValue::to_json() const {
  return {{"name", name}, {"code", code}, {"space", space}, {"data", data}, {"always-send", always_send}, {"csv-format", csv_format}};
}

bool known_type(std::string_view type) {
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return type == t; });
}

const std::vector<OptionDef>& standard_definitions() {
  // Codes: DHCPv4's and DHCPv6's own where they exist (RFC 2132, 3397, 3646, 3442); the
  // IPv6 mtu and route have no DHCPv6 option, so they take codes from the unassigned range.
  static const std::vector<OptionDef> defs = {
      {"dns", 6, "ipv4-address", true, "dhcp4", true},      {"search", 119, "fqdn", true, "dhcp4", true},
      {"mtu", 26, "uint16", false, "dhcp4", true},          {"route", 121, "ipv4-prefix", true, "dhcp4", true},
      {"dns", 23, "ipv6-address", true, "dhcp6", true},     {"search", 24, "fqdn", true, "dhcp6", true},
      {"mtu", 65001, "uint16", false, "dhcp6", true},       {"route", 65002, "ipv6-prefix", true, "dhcp6", true},
  };
  return defs;
}

Result<std::vector<OptionDef>> parse_definitions(const json& list, const std::string& path, const std::vector<OptionDef>& existing,
                                                 const std::string& space) {
  if (!list.is_array()) return bad(path, "expected a list");
  std::vector<OptionDef> all = existing, out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const json& v = list[i];
    if (!v.is_object()) return bad(at, "expected an object");
    for (const auto& item : v.items())
      if (item.key() != "name" && item.key() != "code" && item.key() != "type" && item.key() != "array" &&
          item.key() != "space" && item.key() != "record-types" && item.key() != "encapsulate" && item.key() != "comment")
        return bad(at + "." + item.key(), "unknown parameter");
    OptionDef d;
    if (!v.contains("name") || !v["name"].is_string()) return bad(at + ".name", "required (a string)");
    d.name = v["name"].get<std::string>();
    if (!valid_name(d.name)) return bad(at + ".name", "'" + d.name.substr(0, 64) + "' must be [a-z0-9-]+ and not a protocol key");
    if (!v.contains("code") || !v["code"].is_number_unsigned() || v["code"].get<std::uint64_t>() == 0 || v["code"].get<std::uint64_t>() > 65535)
      return bad(at + ".code", "required (1 to 65535)");
    d.code = v["code"].get<std::uint16_t>();
    if (!v.contains("type") || !v["type"].is_string() || !known_type(v["type"].get<std::string>()))
      return bad(at + ".type", "required, one of ipv4-address, ipv6-address, ipv4-prefix, ipv6-prefix, fqdn, string, boolean, uint8/16/32, int8/16/32, binary");
    d.type = v["type"].get<std::string>();
    if (v.contains("array") && !v["array"].is_boolean()) return bad(at + ".array", "expected true or false");
    d.array = v.value("array", false);
    d.space = v.contains("space") && v["space"].is_string() ? v["space"].get<std::string>() : default_space(space);
    if (!space_allowed(d.space, space)) return bad(at + ".space", "'" + d.space.substr(0, 64) + "': not allowed here");
    for (const char* key : {"record-types", "encapsulate"})
      if (v.contains(key) && (!v[key].is_string() || !v[key].get<std::string>().empty()))
        return bad(at + "." + key, "records and encapsulation are not supported");
    for (const auto& other : all)
      if (other.space == d.space && (other.name == d.name || other.code == d.code))
        return make_error(Errc::conflict, at + ": option " + d.name + " (code " + std::to_string(d.code) + ") collides with " +
                                              (other.standard ? "standard " : "") + "option " + other.name + " (code " +
                                              std::to_string(other.code) + ") in space " + d.space);
    all.push_back(d);
    out.push_back(d);
  }
  return out;
}

Result<std::vector<OptionValue>> parse_values(const json& list, const std::string& path, const std::vector<OptionDef>& defs,
                                              const std::string& space) {
  if (!list.is_array()) return bad(path, "expected a list");
  std::vector<OptionValue> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const json& v = list[i];
    if (!v.is_object()) return bad(at, "expected an object");
    for (const auto& item : v.items())
      if (item.key() != "name" && item.key() != "code" && item.key() != "space" && item.key() != "data" &&
          item.key() != "always-send" && item.key() != "csv-format" && item.key() != "comment")
        return bad(at + "." + item.key(), "unknown parameter");
    std::optional<std::string> name;
    std::optional<std::uint16_t> code;
    if (v.contains("name")) {
      if (!v["name"].is_string()) return bad(at + ".name", "expected a string");
      name = v["name"].get<std::string>();
    }
    if (v.contains("code")) {
      if (!v["code"].is_number_unsigned() || v["code"].get<std::uint64_t>() > 65535) return bad(at + ".code", "expected 0 to 65535");
      code = v["code"].get<std::uint16_t>();
    }
    if (!name && !code) return bad(at, "give the option's name or code");
    std::string s = v.contains("space") && v["space"].is_string() ? v["space"].get<std::string>() : default_space(space);
    if (!space_allowed(s, space)) return bad(at + ".space", "'" + s.substr(0, 64) + "': not allowed here");
    const OptionDef* d = find_def(defs, s, name ? &*name : nullptr, code ? &*code : nullptr);
    if (!d) return bad(at, "no definition of option " + (name ? *name : std::to_string(*code)) + " in space " + s);
    if ((name && d->name != *name) || (code && d->code != *code))
      return bad(at, "name and code name different options");
    if (v.contains("csv-format") && v["csv-format"] == false) return bad(at + ".csv-format", "only csv-format data is supported");
    if (!v.contains("data") || !v["data"].is_string()) return bad(at + ".data", "required (a string)");
    auto data = normalise_data(*d, v["data"].get<std::string>());
    if (!data) return bad(at + ".data", data.error().message);
    OptionValue value{d->name, d->code, s, *data, v.value("always-send", false), true};
    for (const auto& other : out)
      if (other.name == value.name) return make_error(Errc::conflict, at + ": option " + value.name + " is given twice");
    out.push_back(std::move(value));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> response_lines(const OptionSet& set, std::optional<std::uint32_t> subnet4,
                                                                std::optional<std::uint32_t> subnet6, const std::string& host_key) {
  // name -> value per space, the narrowest scope last so it wins.
  std::map<std::string, std::map<std::string, const OptionValue*>> chosen;
  auto apply = [&](const std::vector<OptionValue>& values) {
    for (const auto& v : values) {
      bool wanted = (v.space == "dhcp4" && subnet4) || (v.space == "dhcp6" && subnet6);
      if (wanted) chosen[v.name][v.space] = &v;
    }
  };
  apply(set.global);
  if (subnet4)
    if (auto it = set.subnet.find({4, *subnet4}); it != set.subnet.end()) apply(it->second);
  if (subnet6)
    if (auto it = set.subnet.find({6, *subnet6}); it != set.subnet.end()) apply(it->second);
  if (auto it = set.host.find(host_key); it != set.host.end()) apply(it->second);
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [name, by_space] : chosen) {
    const OptionValue* v4 = by_space.count("dhcp4") ? by_space.at("dhcp4") : nullptr;
    const OptionValue* v6 = by_space.count("dhcp6") ? by_space.at("dhcp6") : nullptr;
    const OptionDef* d4 = v4 ? find_def(set.definitions, "dhcp4", &v4->name, nullptr) : nullptr;
    std::string value;
    if (v4 && v6 && d4 && d4->array) value = v4->data + "," + v6->data;
    else value = v4 ? v4->data : v6->data;
    lines.emplace_back(name, value);
  }
  return lines;
}

}  // namespace leasehold::options
