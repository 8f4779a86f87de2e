// libFuzzer target for the UAPI codec (src/wireguard): parses the input as a get and as a
// set reply, checks what a successful parse promises, and traps when an invariant breaks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wireguard/uapi.h"

namespace {

using namespace leasehold;
using namespace leasehold::wireguard;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

void check_peer(const PeerInfo& peer) {
  check(key_to_hex(peer.key).size() == kKeyHexSize);
  auto key = key_from_hex(key_to_hex(peer.key));
  check(key.ok() && *key == peer.key);
  check(peer.endpoint.size() <= 128);
  for (char c : peer.endpoint) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  for (const net::Prefix& ip : peer.allowed_ips) {
    check(ip.length() >= 0 && ip.length() <= net::family_bits(ip.family()));
    check(ip.first() == ip.address());  // host bits are zero
    auto again = net::Prefix::parse(ip.to_string());
    check(again.ok() && *again == ip);
  }
  // A request built from what was read is well formed: one line per prefix plus
  // set=1, public_key, update_only and the empty terminator.
  const std::string request = add_allowed_ips_request(peer.key, peer.allowed_ips);
  std::size_t lines = 0;
  for (char c : request) lines += c == '\n' ? 1 : 0;
  check(lines == peer.allowed_ips.size() + 4);
  check(ends_with(request, "\n\n"));
}

void check_get(std::string_view input) {
  auto device = parse_get_response(input);
  if (!device.ok()) {
    const Error& error = device.error();
    check(!error.message.empty() && error.message.size() < 80);
    if (error.code == Errc::io) {
      auto number = device_errno(error);
      check(number.has_value() && *number != 0);
    } else {
      check(error.code == Errc::corruption && !device_errno(error).has_value());
    }
    return;
  }
  check(ends_with(input, "0\n\n"));  // errno=0 (leading zeros are allowed)
  check(input.find('\0') == std::string_view::npos);
  check(device->peers.size() <= kMaxPeers);
  for (std::size_t i = 0; i < device->peers.size(); ++i) {
    check_peer(device->peers[i]);
    if (i > 0) check(!(device->peers[i].key == device->peers[i - 1].key));
  }
}

void check_set(std::string_view input) {
  auto number = parse_set_response(input);
  if (!number.ok()) {
    check(number.error().code == Errc::corruption && !number.error().message.empty());
    return;
  }
  check(input.size() >= 9 && input.substr(0, 6) == "errno=" && ends_with(input, "\n\n"));
  // The canonical spelling of the same number parses back to it.
  auto again = parse_set_response("errno=" + std::to_string(*number) + "\n\n");
  check(again.ok() && *again == *number);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_get(input);
  check_set(input);
  return 0;
}
