// The control API's option commands (spec O.1-O.10), both families:
// option-def4-add / -set / -get / -del and option4-add / -get / -del (and 6), with the
// spec's names (add-option4-def, set-option4-def, get-option4-def, del-option4-def,
// add-option4, ...) as aliases. Definitions and global and subnet values live in the
// running configuration ("option-def", "option-data"); a change edits it and goes through
// the config-set path, so a refused change changes nothing and config-write persists it.
// A host's options are its reservation's "option-data" (reservation commands).
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "control/dispatcher.h"

namespace leasehold::control {

struct OptionCommandContext {
  std::function<nlohmann::json()> running_config;
  std::function<Status(nlohmann::json leasehold)> apply;
};

Status register_option_commands(Dispatcher& dispatcher, OptionCommandContext context);

}  // namespace leasehold::control
