// Message framing for the request_ip TCP stream: where one message ends in the buffered bytes.
// Owns the size limits of the wire layout; does not parse keys or values (see request.h).
// Pure and stateless: safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace leasehold::wgdyn {

// Wire layout: a message is lines "key=value\n" ended by an empty line "\n".
// A line counts its '\n': at most 4095 bytes of text plus the newline.
inline constexpr std::size_t kMaxLine = 4096;
// A message counts every byte up to and including the '\n' of its final empty line.
inline constexpr std::size_t kMaxMessage = 8192;

enum class FrameStatus : std::uint8_t {
  complete,          // a whole message is buffered; see FrameResult::length
  need_more,         // no verdict yet: read more bytes and call again
  line_too_long,     // errors: the stream cannot be resynchronised
  message_too_long,
  nul_byte,
};

struct FrameResult {
  FrameStatus status = FrameStatus::need_more;
  std::size_t length = 0;  // complete only: bytes of the message, final empty line included

  bool is_complete() const { return status == FrameStatus::complete; }
  bool is_error() const { return status != FrameStatus::complete && status != FrameStatus::need_more; }
};

// Looks at the start of `buffered` for one message. An error is reported as soon as the
// buffered bytes prove it, without waiting for a newline that could only make things worse.
FrameResult find_message(std::string_view buffered);

// Short lowercase phrase for an error status ("line too long"); "" otherwise.
const char* frame_error_message(FrameStatus status);

}  // namespace leasehold::wgdyn
