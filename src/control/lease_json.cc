#include "control/lease_json.h"

#include <cctype>
#include <limits>

namespace leasehold::control {

using nlohmann::json;

std::string family_word(net::Family f) { return f == net::Family::v4 ? "IPv4" : "IPv6"; }

json lease_to_json(const lease::LeaseRecord& r) {
  json j = {
      {"ip-address", r.address.to_string()},
      {"public-key", r.key.to_base64()},
      {"subnet-id", r.subnet_id},
      {"valid-lft", r.valid_lifetime},
      {"cltt", r.cltt},
      {"expire", r.expires_at()},
      {"hostname", r.hostname},
      {"state", static_cast<int>(r.state)},
  };
  if (!r.address.is_v4()) {
    j["type"] = "IA_NA";
    j["prefix-len"] = 128;
  }
  if (!r.user_context.empty()) j["user-context"] = json::parse(r.user_context, nullptr, false);
  return j;
}

Result<net::Address> read_address(const Args& args, std::string_view key, net::Family family) {
  auto text = args.get_string(key);
  if (!text) return text.error();
  auto a = net::Address::parse(*text);
  if (!a) return make_error(Errc::invalid_argument, "Failed to convert '" + *text + "' to address: " + a.error().message);
  if (a->family() != family)
    return make_error(Errc::invalid_argument, "Invalid " + family_word(family) + " address specified: " + *text);
  return *a;
}

Result<lease::PublicKey> read_peer_identifier(const Args& args, net::Family family) {
  auto type = args.get_string("identifier-type");
  if (!type) return type.error();
  auto id = args.get_string("identifier");
  if (!id) return id.error();
  if (*type == "public-key") {
    auto key = lease::PublicKey::from_base64(*id);
    if (!key) return make_error(Errc::invalid_argument, "Invalid public-key identifier: " + key.error().message);
    return *key;
  }
  if (*type == "anode-address")
    return make_error(Errc::invalid_argument, "Query by anode-address is not possible yet: no Anode peers are served.");
  if (*type == "hw-address" || *type == "duid" || *type == "client-id" || *type == "circuit-id" || *type == "remote-id")
    return make_error(Errc::invalid_argument, "Query by " + *type + " is not allowed in " + family_word(family) +
                                                  ": leases are held by public-key.");
  return make_error(Errc::invalid_argument,
                    "Incorrect identifier type: " + *type + ", the only supported values are: public-key, anode-address");
}

Result<std::string> normalise_hostname(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, "Invalid hostname '" + std::string(name.substr(0, 300)) + "': " + why);
  };
  if (name.empty()) return std::string();
  if (name.size() > 254 || (name.size() == 254 && name.back() != '.')) return bad("longer than 253 characters");
  std::string out;
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return bad("empty label");
      if (name[i - 1] == '-') return bad("a label ends with '-'");
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (c == '-' && label == 0) return bad("a label starts with '-'");
      if (++label > 63) return bad("a label is longer than 63 characters");
    } else {
      return bad("only letters, digits, '-' and '.' are allowed");
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (label > 0 && name.back() == '-') return bad("a label ends with '-'");
  return out;
}

namespace {
constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxTime = std::int64_t{1} << 40;

Status read_times(const Args& args, lease::AdminLease& out) {
  auto lft = args.optional_int("valid-lft", 0, kMaxU32);
  if (!lft) return lft.error();
  if (*lft) out.valid_lifetime = static_cast<std::uint32_t>(**lft);
  auto cltt = args.optional_int("cltt", 0, kMaxTime);
  if (!cltt) return cltt.error();
  auto expire = args.optional_int("expire", 0, kMaxTime);
  if (!expire) return expire.error();
  if (*cltt && *expire) return make_error(Errc::invalid_argument, "give either 'cltt' or 'expire', not both");
  if (*cltt) out.cltt = **cltt;
  if (*expire) out.expire = **expire;  // Kea's: cltt + valid-lft (the engine knows the default lifetime)
  return {};
}
}  // namespace

Result<lease::AdminLease> read_admin_lease(const Args& args, net::Family family) {
  lease::AdminLease out;
  auto address = read_address(args, "ip-address", family);
  if (!address) return address.error();
  out.address = *address;
  auto key_text = args.get_string("public-key");
  if (!key_text) {
    if (args.find("anode-address"))
      return make_error(Errc::invalid_argument, "anode-address leases are not possible yet: no Anode peers are served.");
    return key_text.error();
  }
  auto key = lease::PublicKey::from_base64(*key_text);
  if (!key) return make_error(Errc::invalid_argument, "Invalid public-key: " + key.error().message);
  out.key = *key;
  auto subnet = args.optional_int("subnet-id", 0, kMaxU32);
  if (!subnet) return subnet.error();
  if (*subnet) out.subnet_id = static_cast<std::uint32_t>(**subnet);
  if (auto st = read_times(args, out); !st) return st.error();
  auto hostname = args.optional_string("hostname");
  if (!hostname) return hostname.error();
  if (*hostname) {
    auto normal = normalise_hostname(**hostname);
    if (!normal) return normal.error();
    out.hostname = *normal;
  }
  auto state = args.optional_int("state", 0, 2);
  if (!state) return state.error();
  if (*state && **state != 0)
    return make_error(Errc::invalid_argument, "Invalid state " + std::to_string(**state) +
                                                  ": only state 0 (assigned) can be set through the control API");
  if (const json* ctx = args.find("user-context")) {
    if (!ctx->is_object() && !ctx->is_null())
      return make_error(Errc::invalid_argument, "invalid type specified for parameter 'user-context'");
    if (ctx->is_object()) out.user_context = ctx->dump();
  }
  if (const json* type = args.find("type"); type && *type != "IA_NA" && *type != 0)
    return make_error(Errc::invalid_argument, "Only IA_NA (address) leases exist here; prefix delegation is not served");
  return out;
}

}  // namespace leasehold::control
