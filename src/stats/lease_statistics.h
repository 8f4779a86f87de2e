// LeaseStatistics: the address statistics Kea keeps per subnet and in total, fed by the
// engine's change feed: total, assigned, cumulative-assigned and reclaimed. IPv4 subnets
// use kea-dhcp4's names (subnet[ID].total-addresses, ...), IPv6 subnets kea-dhcp6's
// (subnet[ID].total-nas, ...), except that reclaimed IPv6 leases are reclaimed-nas here,
// because both families share one server and may reuse an id.
// Not thread-safe: called under the engine's lock (the feed runs there).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lease/lease.h"
#include "net/address.h"
#include "stats/statistics.h"

namespace leasehold::stats {

struct SubnetSize {
  net::Family family;
  std::uint32_t id;
  std::int64_t total;  // addresses the pools can give out
};

std::string subnet_stat_name(std::uint32_t id, std::string_view what);

class LeaseStatistics {
 public:
  explicit LeaseStatistics(Registry& registry);

  // Sets each subnet's total; statistics of subnets no longer configured are removed.
  void configure(const std::vector<SubnetSize>& subnets);
  // Start-up: the leases already held (restored rows are not published as changes).
  void set_assigned(net::Family family, std::uint32_t subnet_id, std::int64_t count);
  void on_change(const lease::LeaseChange& change);

 private:
  struct PerSubnet {
    Stat* total;
    Stat* assigned;
    Stat* cumulative;
    Stat* reclaimed;
  };
  PerSubnet& subnet(net::Family family, std::uint32_t id);
  Stat& global(net::Family family, std::string_view what4, std::string_view what6);

  Registry& registry_;
  std::map<std::pair<net::Family, std::uint32_t>, PerSubnet> subnets_;
};

}  // namespace leasehold::stats
