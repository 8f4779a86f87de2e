#include "leasequery/peer_identity.h"

#include <algorithm>
#include <array>

namespace leasehold::leasequery {

std::vector<std::uint8_t> duid_of(const lease::PublicKey& key) {
  std::vector<std::uint8_t> duid;
  duid.reserve(7 + lease::PublicKey::kSize);
  duid.push_back(0);
  duid.push_back(2);  // DUID-EN
  for (int shift = 24; shift >= 0; shift -= 8) duid.push_back(static_cast<std::uint8_t>(kPeerEnterpriseNumber >> shift));
  duid.push_back(kPeerKindWireGuard);
  for (std::uint8_t b : key.bytes()) duid.push_back(b);
  return duid;
}

Result<lease::PublicKey> peer_of_duid(std::span<const std::uint8_t> duid) {
  auto expected = duid_of(lease::PublicKey());
  if (duid.size() != expected.size() || !std::equal(expected.begin(), expected.begin() + 7, duid.begin()))
    return make_error(Errc::invalid_argument,
                      "not a leasehold peer DUID (DUID-EN 32473, kind 1, 32 key octets; 39 octets in all)");
  std::array<std::uint8_t, lease::PublicKey::kSize> bytes{};
  std::copy(duid.begin() + 7, duid.end(), bytes.begin());
  return lease::PublicKey(bytes);
}

std::vector<std::uint8_t> client_id_of(const lease::PublicKey& key) {
  std::vector<std::uint8_t> id(5, 0);
  id[0] = 255;  // RFC 4361: type 255, IAID (0 here), DUID
  for (std::uint8_t b : duid_of(key)) id.push_back(b);
  return id;
}

Result<lease::PublicKey> peer_of_client_id(std::span<const std::uint8_t> client_id) {
  if (client_id.size() < 5 || client_id[0] != 255)
    return make_error(Errc::invalid_argument, "not a leasehold peer client identifier (255, IAID, DUID)");
  return peer_of_duid(client_id.subspan(5));
}

}  // namespace leasehold::leasequery
