#include "stats/lease_statistics.h"

#include <set>

namespace leasehold::stats {

using net::Family;

std::string subnet_stat_name(std::uint32_t id, std::string_view what) {
  return "subnet[" + std::to_string(id) + "]." + std::string(what);
}

namespace {
const char* total_name(Family f) { return f == Family::v4 ? "total-addresses" : "total-nas"; }
const char* assigned_name(Family f) { return f == Family::v4 ? "assigned-addresses" : "assigned-nas"; }
const char* cumulative_name(Family f) { return f == Family::v4 ? "cumulative-assigned-addresses" : "cumulative-assigned-nas"; }
const char* reclaimed_name(Family f) { return f == Family::v4 ? "reclaimed-leases" : "reclaimed-nas"; }
}  // namespace

LeaseStatistics::LeaseStatistics(Registry& registry) : registry_(registry) {}

LeaseStatistics::PerSubnet& LeaseStatistics::subnet(Family f, std::uint32_t id) {
  auto it = subnets_.find({f, id});
  if (it != subnets_.end()) return it->second;
  PerSubnet s{&registry_.get(subnet_stat_name(id, total_name(f))), &registry_.get(subnet_stat_name(id, assigned_name(f))),
              &registry_.get(subnet_stat_name(id, cumulative_name(f))),
              &registry_.get(subnet_stat_name(id, reclaimed_name(f)))};
  return subnets_.emplace(std::make_pair(f, id), s).first->second;
}

Stat& LeaseStatistics::global(Family f, std::string_view what4, std::string_view what6) {
  return registry_.get(f == Family::v4 ? what4 : what6);
}

void LeaseStatistics::configure(const std::vector<SubnetSize>& sizes) {
  std::set<std::pair<Family, std::uint32_t>> wanted;
  for (const auto& s : sizes) {
    wanted.insert({s.family, s.id});
    subnet(s.family, s.id).total->set(s.total);
  }
  for (auto it = subnets_.begin(); it != subnets_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    for (Stat* stat : {it->second.total, it->second.assigned, it->second.cumulative, it->second.reclaimed}) stat->remove();
    it = subnets_.erase(it);
  }
  for (Family f : {Family::v4, Family::v6}) {
    global(f, "assigned-addresses", "assigned-nas");
    global(f, "cumulative-assigned-addresses", "cumulative-assigned-nas");
    global(f, "reclaimed-leases", "reclaimed-nas");
  }
}

void LeaseStatistics::set_assigned(Family family, std::uint32_t id, std::int64_t count) {
  subnet(family, id).assigned->set(count);
  global(family, "assigned-addresses", "assigned-nas").add(count);
}

void LeaseStatistics::on_change(const lease::LeaseChange& change) {
  using Kind = lease::LeaseChange::Kind;
  const lease::LeaseRecord& r = change.record;
  const Family f = r.address.family();
  switch (change.kind) {
    case Kind::grant: {
      PerSubnet& s = subnet(f, r.subnet_id);
      s.assigned->add(1);
      s.cumulative->add(1);
      global(f, "assigned-addresses", "assigned-nas").add(1);
      global(f, "cumulative-assigned-addresses", "cumulative-assigned-nas").add(1);
      break;
    }
    case Kind::release:
    case Kind::expire: {
      PerSubnet& s = subnet(f, r.subnet_id);
      s.assigned->add(-1);
      global(f, "assigned-addresses", "assigned-nas").add(-1);
      if (change.kind == Kind::expire) {
        s.reclaimed->add(1);
        global(f, "reclaimed-leases", "reclaimed-nas").add(1);
      }
      break;
    }
    case Kind::renew:
    case Kind::remove: break;
  }
}

}  // namespace leasehold::stats
