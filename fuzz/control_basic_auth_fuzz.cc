// libFuzzer target for the Authorization header decoder: any bytes in; a decoded pair
// must re-encode to a header that decodes to the same pair, and only a matching header
// is accepted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.h"
#include "control/basic_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace leasehold;
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto creds = control::decode_basic_credentials(header);
  if (!creds) return 0;
  if (creds->first.find(':') != std::string::npos) __builtin_trap();
  std::string joined = creds->first + ":" + creds->second;
  std::string again = "Basic " + base64_encode({reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size()});
  auto round = control::decode_basic_credentials(again);
  if (!round || *round != *creds) __builtin_trap();
  std::vector<control::Credentials> allowed = {{creds->first, creds->second}};
  if (!control::basic_auth_matches(header, allowed)) __builtin_trap();
  allowed[0].password += "x";
  if (control::basic_auth_matches(header, allowed)) __builtin_trap();
  return 0;
}
