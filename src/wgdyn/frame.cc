#include "wgdyn/frame.h"

namespace leasehold::wgdyn {

FrameResult find_message(std::string_view buffered) {
  std::size_t start = 0;  // first byte of the current line
  for (;;) {
    const std::size_t newline = buffered.find('\n', start);
    const bool finished = newline != std::string_view::npos;
    const std::size_t text_end = finished ? newline : buffered.size();
    const std::string_view text = buffered.substr(start, text_end - start);

    if (text.find('\0') != std::string_view::npos) return {FrameStatus::nul_byte, 0};
    // The line needs its '\n' too, so text.size() + 1 is its least possible length.
    if (text.size() + 1 > kMaxLine) return {FrameStatus::line_too_long, 0};

    if (!finished) {
      // Least possible message: this line closed, then the empty line (unless this is it).
      const std::size_t least = start + text.size() + (text.empty() ? 1 : 2);
      if (least > kMaxMessage) return {FrameStatus::message_too_long, 0};
      return {FrameStatus::need_more, 0};
    }
    if (newline + 1 > kMaxMessage) return {FrameStatus::message_too_long, 0};
    if (text.empty()) return {FrameStatus::complete, newline + 1};
    start = newline + 1;
  }
}

const char* frame_error_message(FrameStatus status) {
  switch (status) {
    case FrameStatus::line_too_long: return "line too long";
    case FrameStatus::message_too_long: return "message too long";
    case FrameStatus::nul_byte: return "nul byte";
    case FrameStatus::complete:
    case FrameStatus::need_more: break;
  }
  return "";
}

}  // namespace leasehold::wgdyn
