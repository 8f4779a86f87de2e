// The control API's subnet commands (Kea's subnet_cmds names and shapes, both families):
// subnet4-list, subnet4-get (by id, subnet or index), get-subnet4-count, subnet4-add,
// subnet4-update and subnet4-del, and the v6 twins; the spec's get-subnet4 and
// update-subnet4 are aliases. A change edits the running configuration's "subnet4" /
// "subnet6" list and goes through the same validation and apply path as config-set, so a
// refused change changes nothing. Shrinking or deleting a subnet takes a "leases" policy
// for the leases left outside it: keep (default), drain (never renewed) or delete.
#pragma once

#include <functional>
#include <mutex>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/dispatcher.h"
#include "lease/engine.h"

namespace leasehold::control {

struct SubnetCommandContext {
  lease::Engine* engine = nullptr;
  std::mutex* engine_mutex = nullptr;
  std::function<nlohmann::json()> running_config;             // the "Leasehold" object in force
  std::function<Status(nlohmann::json leasehold)> apply;      // validate and put in force
  std::function<void()> after_change;                         // leases changed (re-arm expiry)
};

Status register_subnet_commands(Dispatcher& dispatcher, SubnetCommandContext context);

}  // namespace leasehold::control
