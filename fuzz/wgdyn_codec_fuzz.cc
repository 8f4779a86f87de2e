// libFuzzer target for the request_ip codec (src/wgdyn): frames the input as a TCP stream,
// parses every complete message, answers it, and traps when an invariant breaks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wgdyn/frame.h"
#include "wgdyn/request.h"
#include "wgdyn/response.h"

namespace {

using namespace leasehold;
using namespace leasehold::wgdyn;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Every answer is exactly one message that a client can frame, in printable ASCII.
void check_answer(const std::string& out) {
  const FrameResult frame = find_message(out);
  check(frame.is_complete() && frame.length == out.size());
  for (char c : out) check(c == '\n' || (c >= 0x20 && c <= 0x7e));
}

void check_family(const FamilyRequest& wanted, net::Family family, Format format) {
  if (wanted.want == Want::hint) {
    check(wanted.hint.family() == family);
    // ip=0.0.0.0/32 and ip=::/128 mean "any", never a hint.
    if (format == Format::upstream) check(wanted.hint.value() != 0);
  }
  if (wanted.want == Want::release) check(format == Format::upstream);
}

std::optional<net::Address> grant(const FamilyRequest& wanted, const net::Address& fresh) {
  switch (wanted.want) {
    case Want::hint: return wanted.hint;
    case Want::keep_or_any: return fresh;
    case Want::release: return std::nullopt;
  }
  return std::nullopt;
}

void answer_request(const Request& request, std::string_view message) {
  check_family(request.v4, net::Family::v4, request.format);
  check_family(request.v6, net::Family::v6, request.format);

  Response response;
  response.format = request.format;
  response.outcome = Outcome::granted;
  response.ipv4 = grant(request.v4, net::Address::v4(0x0a000001));
  response.ipv6 = grant(request.v6, net::Address::v6(net::uint128{0xfd} << 120 | 1));
  response.leasestart = 1555074514;
  response.leasetime_seconds = request.leasetime_seconds.value_or(3600);
  const std::size_t half = message.size() / 2;
  response.extra.emplace_back(std::string(message.substr(0, half)), std::string(message.substr(half)));
  const std::string out = format_response(response);
  check_answer(out);

  // A v1 answer reads back as a v1 request whose hints are the granted addresses.
  if (request.format == Format::v1) {
    auto back = parse_request(out);
    check(back.ok() && back->format == Format::v1);
    check(back->v4.want == Want::hint && back->v4.hint == *response.ipv4);
    check(back->v6.want == Want::hint && back->v6.hint == *response.ipv6);
    check(back->leasetime_seconds == response.leasetime_seconds);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Parsing and framing agree: whatever parses is exactly one framed message.
  if (auto whole = parse_request(input); whole.ok()) {
    const FrameResult frame = find_message(input);
    check(frame.is_complete() && frame.length == input.size());
  }

  for (;;) {
    const FrameResult frame = find_message(input);
    if (frame.is_error()) {
      check(*frame_error_message(frame.status) != '\0');
      check_answer(format_response(reject(frame.status)));
      break;
    }
    if (!frame.is_complete()) {
      check(input.size() < kMaxMessage);
      break;
    }
    check(frame.length >= 1 && frame.length <= kMaxMessage && frame.length <= input.size());
    check(input[frame.length - 1] == '\n');
    const std::string_view message = input.substr(0, frame.length);

    auto request = parse_request(message);
    if (request.ok()) {
      answer_request(*request, message);
    } else {
      check(!request.error().message.empty());
      check_answer(format_response(reject(request.error())));
    }
    // Raw client bytes as errmsg, in both formats: sanitising must hold.
    for (Format format : {Format::v1, Format::upstream}) {
      Response failure;
      failure.format = format;
      failure.outcome = Outcome::internal_error;
      failure.errmsg = std::string(message);
      check_answer(format_response(failure));
    }
    input.remove_prefix(frame.length);
  }
  return 0;
}
