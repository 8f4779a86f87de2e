// The statistics in Prometheus' text exposition format (version 0.0.4), for GET /metrics:
// pool size and use per subnet, lease counters, request_ip requests by outcome, and the
// latency histograms. Metric names are documented in docs/control.md.
#pragma once

#include <string>
#include <vector>

#include "stats/statistics.h"

namespace leasehold::stats {

struct NamedHistogram {
  std::string name;  // full metric name, e.g. "leasehold_grant_latency_seconds"
  std::string help;
  const Histogram* histogram;
};

std::string prometheus_text(const std::vector<Sample>& samples, const std::vector<NamedHistogram>& histograms);

}  // namespace leasehold::stats
