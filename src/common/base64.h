// Standard base64 (RFC 4648, with padding) over OpenSSL's block codec.
// Pure functions; decoding rejects anything that is not canonical base64.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace leasehold {

std::string base64_encode(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace leasehold
