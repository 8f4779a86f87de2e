// The control API's statistic commands, Kea's names and shapes: statistic-get,
// statistic-get-all, statistic-reset, statistic-reset-all, statistic-remove and
// statistic-remove-all. A statistic is shown as Kea shows it, a list of [value, time]
// samples; leasehold keeps one sample per statistic (the latest).
#pragma once

#include "common/result.h"
#include "control/dispatcher.h"
#include "stats/statistics.h"

namespace leasehold::control {

Status register_statistic_commands(Dispatcher& dispatcher, stats::Registry& registry);

}  // namespace leasehold::control
