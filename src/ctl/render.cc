#include "ctl/render.h"

#include <algorithm>
#include <ctime>

namespace leasehold::ctl {

using nlohmann::json;

namespace {

const std::vector<std::string> kPreferred = {"ip-address", "public-key", "anode-address", "hw-address", "duid",
                                             "subnet-id",  "id",         "subnet",        "state",      "valid-lft",
                                             "expire",     "hostname",   "ip-addresses",  "prefixes",   "total",
                                             "assigned",   "free",       "use"};

std::string state_name(const json& v) {
  if (!v.is_number_integer()) return v.dump();
  switch (v.get<int>()) {
    case 0: return "assigned";
    case 1: return "declined";
    case 2: return "expired-reclaimed";
    default: return std::to_string(v.get<int>());
  }
}

std::string local_time(std::int64_t when) {
  std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

std::string cell(const std::string& key, const json& v, const RenderOptions& o) {
  if (v.is_null()) return "";
  if (key == "state") return state_name(v);
  if (key == "expire" && v.is_number_integer())
    return local_time(v.get<std::int64_t>()) + " (" + relative_time(v.get<std::int64_t>(), o.now) + ")";
  if (key == "public-key" && v.is_string() && !o.wide && v.get<std::string>().size() > 8)
    return v.get<std::string>().substr(0, 8) + "…";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); })) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + x.get<std::string>();
    return out;
  }
  return v.dump();
}

// Display width: the ellipsis is one column but three bytes.
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool is_table(const json& v) {
  return v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_object(); });
}

}  // namespace

std::string relative_time(std::int64_t when, std::int64_t now) {
  std::int64_t d = when - now;
  std::int64_t a = d < 0 ? -d : d;
  std::string amount = a < 120 ? std::to_string(a) + "s" : a < 7200 ? std::to_string(a / 60) + "m"
                                                     : a < 172800 ? std::to_string(a / 3600) + "h"
                                                                  : std::to_string(a / 86400) + "d";
  return d >= 0 ? "in " + amount : amount + " ago";
}

std::string render_table(const json& rows, const RenderOptions& o) {
  std::vector<std::string> columns;
  for (const auto& k : kPreferred)
    for (const auto& r : rows)
      if (r.contains(k)) {
        columns.push_back(k);
        break;
      }
  for (const auto& r : rows)
    for (const auto& [k, v] : r.items())
      if (std::find(columns.begin(), columns.end(), k) == columns.end() && k != "cltt" && k != "user-context" &&
          k != "option-data")
        columns.push_back(k);
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(width(c));
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line.push_back(r.contains(columns[i]) ? cell(columns[i], r[columns[i]], o) : "");
      widths[i] = std::max(widths[i], width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out += std::string(widths[i] - width(line[i]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = emit(columns);
  for (const auto& line : cells) out += emit(line);
  return out;
}

std::string render_answer(const json& answer, const RenderOptions& o) {
  static const char* kWords[] = {"ok", "error", "unsupported", "not found", "conflict"};
  std::string out;
  int result = answer.value("result", 1);
  std::string word = result >= 0 && result <= 4 ? kWords[result] : "result " + std::to_string(result);
  if (answer.contains("text") && answer["text"].is_string()) out += word + ": " + answer["text"].get<std::string>() + "\n";
  else if (result != 0) out += word + "\n";
  if (!answer.contains("arguments")) return out;
  const json& args = answer["arguments"];
  if (args.is_array()) {
    if (is_table(args)) return out + render_table(args, o);
    for (const auto& v : args) out += (v.is_string() ? v.get<std::string>() : v.dump()) + "\n";
    return out;
  }
  if (!args.is_object()) return out + args.dump(2) + "\n";
  for (const auto& [key, value] : args.items()) {
    if (is_table(value)) out += render_table(value, o);
    else if (value.is_array() && !value.empty() && value[0].is_array() && value[0].size() == 2)
      out += key + ": " + cell(key, value[0][0], o) + "\n";  // a statistic: its latest sample
    else if (value.is_array() && value.empty()) continue;
    else if (value.is_primitive()) out += key + ": " + cell(key, value, o) + "\n";
    else out += key + ": " + value.dump(2) + "\n";
  }
  return out;
}

}  // namespace leasehold::ctl
