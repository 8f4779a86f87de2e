#include "stats/prometheus.h"

#include <cstdio>
#include <map>
#include <optional>

namespace leasehold::stats {

namespace {

struct Metric {
  std::string name;
  std::string labels;  // without braces, may be empty
};

struct Family {
  std::string type;
  std::string help;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // "name{labels}", value
};

std::string sanitized(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

// "subnet[3].assigned-nas" -> leasehold_pool_assigned{family="ipv6",subnet="3"}.
std::optional<Metric> subnet_metric(std::string_view name) {
  if (!name.starts_with("subnet[")) return std::nullopt;
  auto close = name.find("].");
  if (close == std::string_view::npos) return std::nullopt;
  std::string id(name.substr(7, close - 7));
  std::string_view what = name.substr(close + 2);
  static const std::map<std::string_view, std::pair<const char*, const char*>> known = {
      {"total-addresses", {"leasehold_pool_size", "ipv4"}},
      {"total-nas", {"leasehold_pool_size", "ipv6"}},
      {"assigned-addresses", {"leasehold_pool_assigned", "ipv4"}},
      {"assigned-nas", {"leasehold_pool_assigned", "ipv6"}},
      {"cumulative-assigned-addresses", {"leasehold_leases_granted_total", "ipv4"}},
      {"cumulative-assigned-nas", {"leasehold_leases_granted_total", "ipv6"}},
      {"reclaimed-leases", {"leasehold_leases_reclaimed_total", "ipv4"}},
      {"reclaimed-nas", {"leasehold_leases_reclaimed_total", "ipv6"}},
  };
  auto it = known.find(what);
  if (it == known.end()) return std::nullopt;
  return Metric{it->second.first, std::string("family=\"") + it->second.second + "\",subnet=\"" + sanitized(id) + "\""};
}

// Totals over all subnets (names of their own, so that sums over subnets count once).
std::optional<Metric> total_metric(std::string_view name) {
  static const std::map<std::string_view, std::pair<const char*, const char*>> known = {
      {"assigned-addresses", {"leasehold_assigned", "ipv4"}},
      {"assigned-nas", {"leasehold_assigned", "ipv6"}},
      {"cumulative-assigned-addresses", {"leasehold_granted_total", "ipv4"}},
      {"cumulative-assigned-nas", {"leasehold_granted_total", "ipv6"}},
      {"reclaimed-leases", {"leasehold_reclaimed_total", "ipv4"}},
      {"reclaimed-nas", {"leasehold_reclaimed_total", "ipv6"}},
  };
  auto it = known.find(name);
  if (it == known.end()) return std::nullopt;
  return Metric{it->second.first, std::string("family=\"") + it->second.second + "\""};
}

Metric metric_for(std::string_view name) {
  if (auto m = subnet_metric(name)) return *m;
  if (auto m = total_metric(name)) return *m;
  constexpr std::string_view kRequest = "request-ip-";
  if (name.starts_with(kRequest)) {
    std::string_view rest = name.substr(kRequest.size());
    if (rest == "connections") return {"leasehold_request_ip_connections_total", ""};
    if (rest == "idle-timeouts") return {"leasehold_request_ip_idle_timeouts_total", ""};
    return {"leasehold_request_ip_requests_total", "outcome=\"" + std::string(rest) + "\""};
  }
  return {"leasehold_" + sanitized(name), ""};
}

const char* help_for(const std::string& metric) {
  static const std::map<std::string, const char*> help = {
      {"leasehold_pool_size", "Addresses the pools of a subnet can give out."},
      {"leasehold_pool_assigned", "Addresses of a subnet leased now."},
      {"leasehold_assigned", "Addresses leased now, all subnets."},
      {"leasehold_granted_total", "New leases granted, all subnets."},
      {"leasehold_reclaimed_total", "Leases that expired and were reclaimed, all subnets."},
      {"leasehold_leases_granted_total", "New leases granted in a subnet."},
      {"leasehold_leases_reclaimed_total", "Leases of a subnet that expired and were reclaimed."},
      {"leasehold_request_ip_requests_total", "request_ip messages by outcome (received counts all)."},
      {"leasehold_request_ip_connections_total", "request_ip connections accepted."},
      {"leasehold_request_ip_idle_timeouts_total", "request_ip connections closed for silence."},
  };
  auto it = help.find(metric);
  return it == help.end() ? "A leasehold statistic (see statistic-get-all)." : it->second;
}

bool is_counter(const std::string& metric) { return metric.ends_with("_total"); }

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

void write_histogram(std::string& out, const NamedHistogram& h) {
  auto v = h.histogram->view();
  out += "# HELP " + h.name + " " + h.help + "\n# TYPE " + h.name + " histogram\n";
  for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i)
    out += h.name + "_bucket{le=\"" + number(Histogram::kBounds[i]) + "\"} " + std::to_string(v.cumulative[i]) + "\n";
  out += h.name + "_bucket{le=\"+Inf\"} " + std::to_string(v.count) + "\n";
  out += h.name + "_sum " + number(v.sum) + "\n";
  out += h.name + "_count " + std::to_string(v.count) + "\n";
}

}  // namespace

std::string prometheus_text(const std::vector<Sample>& samples, const std::vector<NamedHistogram>& histograms) {
  std::map<std::string, Family> families;
  for (const Sample& s : samples) {
    Metric m = metric_for(s.name);
    Family& f = families[m.name];
    f.type = is_counter(m.name) ? "counter" : "gauge";
    f.help = help_for(m.name);
    f.lines.emplace_back(m.labels.empty() ? m.name : m.name + "{" + m.labels + "}", s.value);
  }
  std::string out;
  for (const auto& [name, f] : families) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [line, value] : f.lines) out += line + " " + std::to_string(value) + "\n";
  }
  for (const auto& h : histograms) write_histogram(out, h);
  return out;
}

}  // namespace leasehold::stats
