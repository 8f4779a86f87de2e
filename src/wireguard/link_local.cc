#include "wireguard/link_local.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <string_view>

namespace leasehold::wireguard {

namespace {
constexpr std::string_view kLabel = "leasehold link-local v1";
}

net::Address derived_link_local(const lease::PublicKey& key) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  // SHA-256 cannot fail on in-memory input short of allocation failure, which aborts.
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, kLabel.data(), kLabel.size()) != 1 ||
      EVP_DigestUpdate(ctx, key.bytes().data(), key.bytes().size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest.data(), &size) != 1)
    std::abort();
  EVP_MD_CTX_free(ctx);
  std::array<std::uint8_t, 16> bytes{0xfe, 0x80};
  for (int i = 0; i < 8; ++i) bytes[8 + i] = digest[i];
  bool zero = true;
  for (int i = 8; i < 16; ++i) zero = zero && bytes[i] == 0;
  if (zero) bytes[15] = 1;
  return net::Address::v6_bytes(bytes);
}

net::Address server_link_local() { return net::Address::v6(net::uint128(0xfe80) << 112); }

}  // namespace leasehold::wireguard
