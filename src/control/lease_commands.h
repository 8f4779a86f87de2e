// The control API's lease commands (Kea's lease_cmds names and shapes; the spec's names
// such as "add-lease4" are hidden aliases): add, get, update, del, get-all, get-page and
// wipe, for both families. Every change goes through the engine, so the store, WireGuard,
// leasequery and statistics see it as they see a peer's request. Durability is the
// transport's business: it answers only after the changes the command made are stored.
#pragma once

#include <functional>
#include <mutex>

#include "common/result.h"
#include "control/dispatcher.h"
#include "lease/engine.h"

namespace leasehold::control {

struct LeaseCommandContext {
  lease::Engine* engine = nullptr;
  std::mutex* engine_mutex = nullptr;  // held around every engine call
  std::function<void()> after_change;  // called (without the lock) after a change, e.g. to re-arm expiry
};

Status register_lease_commands(Dispatcher& dispatcher, LeaseCommandContext context);

}  // namespace leasehold::control
