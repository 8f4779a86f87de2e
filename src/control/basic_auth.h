// HTTP basic authentication credentials (RFC 7617): decoding the Authorization header and
// checking it against the configured users without leaking, by timing, how much of a
// secret matched. Pure: used by the HTTP control transport and by its fuzz target.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leasehold::control {

// "Basic dXNlcjpwYXNz" -> ("user", "pass"); nullopt for anything else.
std::optional<std::pair<std::string, std::string>> decode_basic_credentials(std::string_view header);

struct Credentials {
  std::string user;
  std::string password;
};

// True if the header names one of `allowed` (compared in constant time per entry).
bool basic_auth_matches(std::string_view header, const std::vector<Credentials>& allowed);

}  // namespace leasehold::control
