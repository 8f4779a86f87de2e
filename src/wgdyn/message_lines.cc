#include "wgdyn/message_lines.h"

#include "wgdyn/frame.h"

namespace leasehold::wgdyn {
namespace {
Error invalid(const char* message) { return make_error(Errc::invalid_argument, message); }
}  // namespace

Result<std::string_view> message_lines(std::string_view message) {
  if (message.size() > kMaxMessage) return invalid("message too long");
  std::size_t start = 0;
  for (;;) {
    const std::size_t newline = message.find('\n', start);
    if (newline == std::string_view::npos) return invalid("missing empty line");
    const std::string_view line = message.substr(start, newline - start);
    if (line.size() + 1 > kMaxLine) return invalid("line too long");
    for (char c : line) {
      // CR gets its own message: "\r\n" line ends are the likeliest peer mistake.
      if (c == '\r') return invalid("carriage return in line");
      if (c < 0x20 || c > 0x7e) return invalid("bad character");
    }
    start = newline + 1;
    if (line.empty()) break;
  }
  if (start != message.size()) return invalid("bytes after empty line");
  if (start == 1) return invalid("missing command line");
  return message.substr(0, start - 1);
}

std::string_view take_line(std::string_view& rest) {
  const std::size_t newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  return line;
}

Result<KeyValue> split_key_value(std::string_view line) {
  const std::size_t sep = line.find('=');
  if (sep == std::string_view::npos) return invalid("line without '='");
  if (sep == 0) return invalid("empty key");
  return KeyValue{line.substr(0, sep), line.substr(sep + 1)};
}

}  // namespace leasehold::wgdyn
