// leaseholdctl's readable output: the answer's result as one line, then its arguments:
// lists of objects as aligned tables (leases, hosts, subnets), scalars as `key: value`,
// anything else as indented JSON. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace leasehold::ctl {

struct RenderOptions {
  bool wide = false;          // full public keys
  std::int64_t now = 0;       // wall seconds, for "in 55m"
};

// A table of objects: one column per key (the preferred ones first), one row per object.
std::string render_table(const nlohmann::json& rows, const RenderOptions& options);

// The whole answer (one response object, as the UNIX socket gives it).
std::string render_answer(const nlohmann::json& answer, const RenderOptions& options);

// "in 55m", "3h ago".
std::string relative_time(std::int64_t when, std::int64_t now);

}  // namespace leasehold::ctl
