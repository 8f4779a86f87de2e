#include "common/base64.h"

#include <openssl/evp.h>

namespace leasehold {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return make_error(Errc::invalid_argument, "base64 length is not a multiple of 4");
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return make_error(Errc::invalid_argument, "invalid base64 character");
  }
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  if (text.substr(0, text.size() - padding).find('=') != std::string_view::npos)
    return make_error(Errc::invalid_argument, "misplaced base64 padding");
  std::vector<std::uint8_t> out(3 * text.size() / 4);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return make_error(Errc::invalid_argument, "invalid base64");
  out.resize(static_cast<std::size_t>(n) - padding);
  // Canonical form only: re-encoding must give the same text (rejects stray low bits).
  if (base64_encode(out) != text) return make_error(Errc::invalid_argument, "non-canonical base64");
  return out;
}

}  // namespace leasehold
