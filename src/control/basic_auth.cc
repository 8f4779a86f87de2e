#include "control/basic_auth.h"

#include <openssl/crypto.h>

#include <cctype>

#include "common/base64.h"

namespace leasehold::control {

std::optional<std::pair<std::string, std::string>> decode_basic_credentials(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  std::string_view encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  auto bytes = base64_decode(encoded);
  if (!bytes) return std::nullopt;
  std::string text(bytes->begin(), bytes->end());
  auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(text.substr(0, colon), text.substr(colon + 1));
}

bool basic_auth_matches(std::string_view header, const std::vector<Credentials>& allowed) {
  auto given = decode_basic_credentials(header);
  if (!given) return false;
  const std::string joined = given->first + ":" + given->second;
  bool ok = false;
  for (const auto& c : allowed) {
    const std::string want = c.user + ":" + c.password;
    ok |= want.size() == joined.size() && CRYPTO_memcmp(want.data(), joined.data(), want.size()) == 0;
  }
  return ok;
}

}  // namespace leasehold::control
