// The control API's host reservation commands (Kea's host_cmds names and host objects):
// reservation-add, -get, -update, -del, -get-all and -get-page; the spec's
// add-reservation, get-reservation, update-reservation and delete-reservation are
// aliases. A reservation names its host by one identifier: public-key (a WireGuard peer,
// which the engine then serves its reserved IPv4 address and first IPv6 address), or,
// stored for future front ends, anode-address, hw-address, duid, client-id, circuit-id or
// remote-id. Reservations added here live in the store; those of the configuration file
// are shown too but change only through the configuration.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/dispatcher.h"
#include "lease/engine.h"
#include "store/lease_store.h"

namespace leasehold::control {

struct ReservationCommandContext {
  lease::Engine* engine = nullptr;
  std::mutex* engine_mutex = nullptr;
  std::function<nlohmann::json()> running_config;  // its "reservations" are the file's
  store::LeaseStore* store = nullptr;              // reservation table; used on the calling thread only
  std::function<void()> after_change;              // leases deleted (delete-leases)
  // A peer's host options ("option-data" of its reservation): validated and put in force,
  // or removed when null. Unset: option-data is stored but not served.
  std::function<Status(const std::string& public_key, const nlohmann::json& option_data)> host_options;
};

// Loads the stored reservations (giving the engine the peers' ones) and registers the
// commands. A stored reservation that no longer fits the configuration is kept in the
// store but not served; `warnings` says which.
Status register_reservation_commands(Dispatcher& dispatcher, ReservationCommandContext context,
                                     std::vector<std::string>& warnings);

}  // namespace leasehold::control
