// libFuzzer target for the client side of the request_ip codec (wgdyn/client_codec.h): frames
// the input as the server's TCP stream, parses every complete response, and traps when an
// invariant breaks.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "wgdyn/client_codec.h"
#include "wgdyn/frame.h"
#include "wgdyn/response.h"

namespace {

using namespace leasehold;
using namespace leasehold::wgdyn;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_request(const std::string& out) {
  const FrameResult frame = find_message(out);
  check(frame.is_complete() && frame.length == out.size());
  check(parse_request(out).ok());
}

void check_parsed(const ClientResponse& r) {
  if (r.ipv4) check(r.ipv4->address().is_v4() && r.ipv4->length() >= 0 && r.ipv4->length() <= 32);
  if (r.ipv6) check(!r.ipv6->address().is_v4() && r.ipv6->length() >= 0 && r.ipv6->length() <= 128);
  if (r.error_number == 0 && (r.ipv4 || r.ipv6)) check(r.leasestart && r.leasetime_seconds);
  if (r.leasestart) check(*r.leasestart <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
  for (char c : r.errmsg) check(c >= 0x20 && c <= 0x7e);

  // What the client would send next (hints are the granted addresses) is a valid request.
  ClientRequest next;
  next.leasetime_seconds = r.leasetime_seconds;
  if (r.ipv4) next.v4.hint = r.ipv4->address();
  if (r.ipv6) next.v6.hint = r.ipv6->address();
  for (Format format : {Format::v1, Format::upstream}) {
    next.format = format;
    check_request(format_request(next));
  }

  // A v1 success formatted by the server from the parsed values parses back the same.
  if (r.format == Format::v1 && r.error_number == 0 && r.leasestart && r.leasetime_seconds) {
    Response again;
    again.format = Format::v1;
    if (r.ipv4) again.ipv4 = r.ipv4->address();
    if (r.ipv6) again.ipv6 = r.ipv6->address();
    again.leasestart = *r.leasestart;
    again.leasetime_seconds = *r.leasetime_seconds;
    auto back = parse_response(format_response(again));
    check(back.ok());
    check(back->leasestart == r.leasestart || (!r.ipv4 && !r.ipv6));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Parsing and framing agree: whatever parses is exactly one framed message.
  if (auto whole = parse_response(input); whole.ok()) {
    const FrameResult frame = find_message(input);
    check(frame.is_complete() && frame.length == input.size());
  }

  for (;;) {
    const FrameResult frame = find_message(input);
    if (frame.is_error() || !frame.is_complete()) break;
    check(frame.length >= 1 && frame.length <= kMaxMessage && frame.length <= input.size());
    auto response = parse_response(input.substr(0, frame.length));
    if (response.ok()) {
      check_parsed(*response);
    } else {
      check(response.error().code == Errc::corruption && !response.error().message.empty());
    }
    input.remove_prefix(frame.length);
  }
  return 0;
}
