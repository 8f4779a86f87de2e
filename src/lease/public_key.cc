#include "lease/public_key.h"

#include <algorithm>

#include "common/base64.h"

namespace leasehold::lease {

Result<PublicKey> PublicKey::from_base64(std::string_view text) {
  if (text.size() != 44) return make_error(Errc::invalid_argument, "public key is not 44 base64 characters");
  auto bytes = base64_decode(text);
  if (!bytes) return make_error(Errc::invalid_argument, "public key is not valid base64");
  if (bytes->size() != kSize) return make_error(Errc::invalid_argument, "public key is not 32 bytes");
  std::array<std::uint8_t, kSize> a{};
  std::copy(bytes->begin(), bytes->end(), a.begin());
  return PublicKey(a);
}

std::string PublicKey::to_base64() const { return base64_encode(bytes_); }

}  // namespace leasehold::lease
