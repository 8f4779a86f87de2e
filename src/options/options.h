// Options: DHCP-style option definitions and values for leasehold's peers, as Kea models
// them (option-def: name, code, type, array, space; option-data: name or code, space, data,
// always-send, csv-format), at three scopes: global, subnet and host (a reservation's own
// option-data). A peer receives the options of its subnets and host as extra `key=value`
// lines of the request_ip answer (`dns=10.0.0.1,fd00::1`), which clients that do not know
// them ignore. Pure: parsing, validation and rendering; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace leasehold::options {

struct OptionDef {
  std::string name;
  std::uint16_t code = 0;
  std::string type;
  bool array = false;
  std::string space;  // "dhcp4" or "dhcp6"
  bool standard = false;
  nlohmann::json to_json() const;
};

struct OptionValue {
  std::string name;
  std::uint16_t code = 0;
  std::string space;
  std::string data;  // normalised: items joined by ',' without spaces
  bool always_send = false;
  bool csv_format = true;
  nlohmann::json to_json() const;
};

// leasehold's standard options (both spaces): dns, search, mtu, route (docs/options.md).
const std::vector<OptionDef>& standard_definitions();
// The types a definition may have.
bool known_type(std::string_view type);

// For `space` below: either space may be given, dhcp4 when none is.
inline constexpr const char* kAnySpace = "*";

// Reads a list of option definitions (Kea's "option-def"); `space` is the one allowed
// (and the default), or kAnySpace.
// Checks each against `existing` and against the others in the list: a name or code used
// twice in one space is Errc::conflict. Errors name the JSON path.
Result<std::vector<OptionDef>> parse_definitions(const nlohmann::json& list, const std::string& path,
                                                 const std::vector<OptionDef>& existing, const std::string& space);

// Reads a list of option values (Kea's "option-data") against the definitions: each must
// name a defined option (by name or code, which must agree), and its data must read as the
// definition's type. A value given twice in the list is Errc::conflict.
Result<std::vector<OptionValue>> parse_values(const nlohmann::json& list, const std::string& path,
                                              const std::vector<OptionDef>& definitions, const std::string& space);

// Everything a server answers with: the definitions in force and the values by scope.
struct OptionSet {
  std::vector<OptionDef> definitions = standard_definitions();
  std::vector<OptionValue> global;
  std::map<std::pair<int, std::uint32_t>, std::vector<OptionValue>> subnet;  // (4 or 6, id)
  std::map<std::string, std::vector<OptionValue>> host;                     // peer's public key (base64)
};

// The lines for a granting answer: per option name, the host's value wins over the
// subnet's, which wins over the global one; dhcp4 values count when an IPv4 address was
// granted (in `subnet4`), dhcp6 values when an IPv6 one was. A name given in both spaces
// joins its items (IPv4 first) for lists; a single value takes the dhcp4 one. By name.
std::vector<std::pair<std::string, std::string>> response_lines(const OptionSet& set, std::optional<std::uint32_t> subnet4,
                                                                std::optional<std::uint32_t> subnet6,
                                                                const std::string& host_key);

}  // namespace leasehold::options
