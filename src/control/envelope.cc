// Kea-compatible command envelope: framing, parsing, response writer. See envelope.h.
#include "control/envelope.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace leasehold::control {

using nlohmann::json;

// ---- responses ----------------------------------------------------------------------------

Response answer(ResultCode result, std::string text) {
  return Response{result, std::move(text), std::nullopt};
}

Response answer(ResultCode result, std::string text, json arguments) {
  return Response{result, std::move(text), std::move(arguments)};
}

Response answer_arguments(ResultCode result, json arguments) {
  return Response{result, std::nullopt, std::move(arguments)};
}

ResultCode result_code_for(Errc code) {
  switch (code) {
    case Errc::not_found: return ResultCode::empty;
    case Errc::conflict: return ResultCode::conflict;
    default: return ResultCode::error;
  }
}

Response error_response(const Error& error) { return answer(result_code_for(error.code), error.message); }

// ---- writer -------------------------------------------------------------------------------

namespace {

void append_u16(std::string& out, unsigned unit) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "\\u%04x", unit & 0xffffu);
  out += buf.data();
}

void append_code_point(std::string& out, char32_t cp) {
  if (cp < 0x10000) {
    append_u16(out, static_cast<unsigned>(cp));
    return;
  }
  const char32_t v = cp - 0x10000;  // JSON spells astral code points as a surrogate pair
  append_u16(out, static_cast<unsigned>(0xd800 + (v >> 10)));
  append_u16(out, static_cast<unsigned>(0xdc00 + (v & 0x3ff)));
}

// Decodes the UTF-8 sequence at s[i] (a byte >= 0x80) into cp; returns its length, or 0
// when malformed (bad lead, truncated, overlong, surrogate, beyond U+10FFFF).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) { len = 2; min = 0x80; cp = lead & 0x1fu; }
  else if (lead >= 0xe0 && lead <= 0xef) { len = 3; min = 0x800; cp = lead & 0x0fu; }
  else if (lead >= 0xf0 && lead <= 0xf4) { len = 4; min = 0x10000; cp = lead & 0x07u; }
  else return 0;
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xc0u) != 0x80u) return 0;
    cp = (cp << 6) | (next & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void write_string(std::string_view s, std::string& out) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte >= 0x80) {
          char32_t cp = 0;
          const std::size_t len = decode_utf8(s, i, cp);
          append_code_point(out, len == 0 ? char32_t{0xfffd} : cp);
          i += len == 0 ? 1 : len;
          continue;
        }
        if (byte < 0x20 || byte == 0x7f) append_u16(out, byte);
        else out += c;
    }
    ++i;
  }
  out += '"';
}

void write_double(double d, std::string& out) {
  if (!std::isfinite(d)) {  // JSON has no spelling for these
    out += "null";
    return;
  }
  std::array<char, 32> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  const std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.data()));
  out += text;
  // Keeps a whole double a double when read back, as Kea does.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void write_value(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case json::value_t::number_float: write_double(v.get<double>(), out); break;
    case json::value_t::string: write_string(v.get_ref<const json::string_t&>(), out); break;
    case json::value_t::array: {
      out += "[ ";
      bool first = true;
      for (const json& item : v) {
        if (!first) out += ", ";
        first = false;
        write_value(item, out);
      }
      out += " ]";
      break;
    }
    case json::value_t::object: {
      out += "{ ";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {  // std::map: keys already sorted
        if (!first) out += ", ";
        first = false;
        write_string(it.key(), out);
        out += ": ";
        write_value(it.value(), out);
      }
      out += " }";
      break;
    }
    default: out += "null"; break;  // null, and binary/discarded, which parsing never makes
  }
}

}  // namespace

std::string dump_kea(const json& value) {
  std::string out;
  write_value(value, out);
  return out;
}

std::string format_response(const Response& response) {
  // Written field by field in Kea's (sorted) key order: building a json envelope first would
  // copy the arguments, which may be megabytes.
  std::string out = "{ ";
  if (response.arguments) {
    out += "\"arguments\": ";
    write_value(*response.arguments, out);
    out += ", ";
  }
  out += "\"result\": " + std::to_string(static_cast<int>(response.result));
  if (response.text) {
    out += ", \"text\": ";
    write_string(*response.text, out);
  }
  out += " }";
  return out;
}

// ---- framing ------------------------------------------------------------------------------

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A byte quoted in an error text: itself when printable, else \xNN.
std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7f) return std::string(1, c);
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(byte));
  return buf.data();
}

// One pass over a command. When `blank` is set (a copy of the bytes scanned), comments
// are overwritten there with spaces, newlines kept, so that error positions still match.
class Scanner {
 public:
  Scanner(std::string_view in, std::string* blank) : in_(in), blank_(blank) {}

  CommandScan run();
  bool saw_comment() const { return saw_comment_; }
  bool began() const { return began_; }  // an opening bracket was seen

 private:
  enum class Step : std::uint8_t { next, need_more, invalid };

  Step skip_comment();  // REQUIRES: in_[i_] is '#' or '/'
  Step skip_string();   // REQUIRES: in_[i_] is '"'
  void blank(std::size_t from, std::size_t to);
  CommandScan invalid(std::string message) const {
    return CommandScan{ScanStatus::invalid, 0, std::move(message)};
  }

  std::string_view in_;
  std::string* blank_;
  std::size_t i_ = 0;
  std::string error_;
  bool saw_comment_ = false;
  bool began_ = false;
};

void Scanner::blank(std::size_t from, std::size_t to) {
  saw_comment_ = true;
  if (blank_ == nullptr) return;
  for (std::size_t k = from; k < to && k < blank_->size(); ++k)
    if ((*blank_)[k] != '\n') (*blank_)[k] = ' ';
}

Scanner::Step Scanner::skip_comment() {
  const std::size_t start = i_;
  std::size_t end = 0;
  if (in_[i_] == '#' || (i_ + 1 < in_.size() && in_[i_ + 1] == '/')) {
    end = in_.find('\n', i_);  // the newline itself is kept
  } else if (i_ + 1 >= in_.size()) {
    return Step::need_more;
  } else if (in_[i_ + 1] == '*') {
    end = in_.find("*/", i_ + 2);
    if (end != std::string_view::npos) end += 2;
  } else {
    error_ = "invalid characters /" + describe_byte(in_[i_ + 1]);
    return Step::invalid;
  }
  if (end == std::string_view::npos) return Step::need_more;
  blank(start, end);
  i_ = end;
  return Step::next;
}

Scanner::Step Scanner::skip_string() {
  for (std::size_t k = i_ + 1; k < in_.size(); ++k) {
    if (in_[k] == '\\') {
      ++k;  // whatever is escaped cannot end the string; the parser judges the escape
    } else if (in_[k] == '"') {
      i_ = k + 1;
      return Step::next;
    }
  }
  return Step::need_more;
}

CommandScan Scanner::run() {
  int depth = 0;
  while (i_ < in_.size()) {
    const char c = in_[i_];
    Step step = Step::next;
    if (c == '#' || c == '/') {
      step = skip_comment();
    } else if (depth == 0 && is_space(c)) {
      ++i_;
    } else if (c == '{' || c == '[') {
      began_ = true;
      if (++depth > kMaxDepth)
        return invalid("command is nested deeper than " + std::to_string(kMaxDepth) + " levels");
      ++i_;
    } else if (depth == 0) {
      // Kea's wording, which tells the very first byte from one after blanks or comments.
      return invalid((i_ == 0 ? "invalid first character " : "invalid character ") + describe_byte(c));
    } else if (c == '"') {
      step = skip_string();
    } else if (c == '}' || c == ']') {
      ++i_;
      if (--depth == 0) return CommandScan{ScanStatus::complete, i_, {}};
    } else {
      ++i_;
    }
    if (step == Step::need_more) return CommandScan{};
    if (step == Step::invalid) return invalid(error_);
  }
  return CommandScan{};
}

}  // namespace

CommandScan scan_command(std::string_view buffered) { return Scanner(buffered, nullptr).run(); }

// ---- parsing ------------------------------------------------------------------------------

namespace {

// Kea prefixes envelope errors with this, as its command manager catches them.
constexpr std::string_view kEnvelopePrefix = "Error during command processing: ";
// Kea echoes names in full; a name or key longer than this is cut, to keep answers small.
constexpr std::size_t kMaxEcho = 100;

Error bad(std::string message) { return make_error(Errc::invalid_argument, std::move(message)); }

Error bad_envelope(std::string_view message) {
  return bad(std::string(kEnvelopePrefix) + std::string(message));
}

std::string truncated(std::string_view s) {
  if (s.size() <= kMaxEcho) return std::string(s);
  return std::string(s.substr(0, kMaxEcho)) + "...";
}

// nlohmann reports the 1-based offset of the last byte it read; Kea names the same byte as
// "<wire>:LINE:COLUMN", lines counted from 0 (its wire parser starts there).
std::string parse_error_text(std::string_view text, std::size_t byte) {
  if (byte == 0 || byte > text.size()) return "error: unexpected end of command";
  const std::size_t at = byte - 1;
  const std::string_view before = text.substr(0, at);
  std::size_t line = 0;
  for (char c : before) line += c == '\n' ? 1 : 0;
  const std::size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  return "error: unexpected character " + describe_byte(text[at]) + " in <wire>:" + std::to_string(line) +
         ":" + std::to_string(at - line_start + 1);
}

Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return bad(parse_error_text(text, e.byte));
  } catch (const json::exception&) {
    return bad("error: number out of range");  // out_of_range.406: 1e999 and the like
  }
}

Result<std::optional<std::vector<std::string>>> read_service(const json& doc) {
  const auto it = doc.find("service");
  if (it == doc.end()) return std::optional<std::vector<std::string>>{};
  if (!it->is_array()) return bad("service value must be a list");  // Kea's agent
  std::vector<std::string> service;
  for (const json& entry : *it) {
    if (!entry.is_string()) return bad("service value must be a list of strings");
    service.push_back(entry.get<std::string>());
  }
  return std::optional<std::vector<std::string>>{std::move(service)};
}

// Kea's checks, in Kea's order: a map, with "command", no other keys than these, a string.
Result<Command> read_envelope(json doc) {
  if (!doc.is_object()) return bad_envelope("Invalid command Element specified, expected map");
  const auto name = doc.find("command");
  if (name == doc.end()) return bad_envelope("Invalid answer specified, does not contain mandatory 'command'");
  for (const auto& [key, value] : doc.items()) {
    if (key != "command" && key != "arguments" && key != "service" && key != "remote-address")
      return bad_envelope("Received command contains unsupported parameter '" + truncated(key) + "'");
  }
  if (!name->is_string()) return bad_envelope("'command' element in command message is not a string");

  Command command;
  command.name = name->get<std::string>();
  if (const auto args = doc.find("arguments"); args != doc.end()) {
    // Kea leaves this to each handler; its lease commands answer with this text.
    if (!args->is_object()) return bad("Parameters missing or are not a map.");
    command.arguments = std::move(*args);
  }
  auto service = read_service(doc);
  if (!service) return service.error();
  command.service = std::move(*service);
  return command;
}

}  // namespace

Result<Command> parse_command(std::string_view text) {
  Scanner scanner(text, nullptr);
  const CommandScan scan = scanner.run();
  if (scan.status == ScanStatus::invalid) return bad(scan.message);
  if (scan.status == ScanStatus::need_more) {
    return bad(scanner.began() ? "incomplete command: the JSON value is not closed" : "empty command");
  }

  std::string_view value = text.substr(0, scan.length);
  std::string uncommented;  // nlohmann knows no '#' comments: parse a copy without any comment
  if (scanner.saw_comment()) {
    uncommented = std::string(value);
    Scanner(value, &uncommented).run();
    value = uncommented;
  }
  auto doc = parse_json(value);
  if (!doc) return doc.error();
  return read_envelope(std::move(*doc));
}

}  // namespace leasehold::control
