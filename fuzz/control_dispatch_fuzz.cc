// libFuzzer target for the command sets that act on the engine (lease, subnet,
// reservation, option and statistic commands): each input is one command text, run against a
// fresh small engine with a memory store. Traps when an answer is not a Kea envelope or
// when a refused command changed anything.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "control/dispatcher.h"
#include "control/envelope.h"
#include "control/lease_commands.h"
#include "control/option_commands.h"
#include "control/reservation_commands.h"
#include "control/statistic_commands.h"
#include "control/subnet_commands.h"
#include "lease/change_feed.h"
#include "lease/clock.h"
#include "lease/engine.h"
#include "lease/random_source.h"
#include "server/config.h"
#include "stats/statistics.h"
#include "store/memory_store.h"

namespace {

using namespace leasehold;
using nlohmann::json;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr const char* kConfig = R"({
  "request-ip": { "listen": [ "127.0.0.1:0" ] },
  "lease-database": { "type": "memory" },
  "subnet4": [ { "id": 1, "subnet": "10.0.0.0/28", "pools": [ { "pool": "10.0.0.2-10.0.0.9" } ] } ],
  "subnet6": [ { "id": 1, "subnet": "fd00::/120", "pools": [ { "pool": "fd00::10-fd00::20" } ] } ],
  "reservations": [ { "public-key": "Xxrf3hY1qo5eVf678MqlI3pigWpIrY8yTkwwCEPeEmk=", "ip-addresses": [ "10.0.0.12" ] } ] })";

struct World {
  lease::ManualClock clock;
  lease::SeededRandom random{1};
  lease::ChangeFeed feed;
  lease::Engine engine{clock, random, feed};
  std::mutex mutex;
  store::MemoryStore store;
  stats::Registry registry;
  json running = json::parse(kConfig);
  control::Dispatcher dispatcher;
  std::size_t changes = 0;

  Status apply(json leasehold) {
    auto cfg = server::parse_config_object(leasehold);
    if (!cfg) return cfg.error();
    if (auto st = engine.configure(cfg->policy); !st) return st;
    running = std::move(leasehold);
    return {};
  }

  World() {
    feed.subscribe([this](const lease::LeaseChange&) { ++changes; });
    check(apply(running).ok());
    std::vector<std::string> warnings;
    check(control::register_lease_commands(dispatcher, {&engine, &mutex, nullptr}).ok());
    check(control::register_statistic_commands(dispatcher, registry).ok());
    check(control::register_subnet_commands(
                  dispatcher, {&engine, &mutex, [this] { return running; }, [this](json l) { return apply(std::move(l)); }, nullptr})
              .ok());
    check(control::register_option_commands(dispatcher, {[this] { return running; }, [this](json l) { return apply(std::move(l)); }}).ok());
    check(control::register_reservation_commands(dispatcher, {&engine, &mutex, [this] { return running; }, &store, nullptr, nullptr},
                                                 warnings)
              .ok());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World world;
  const std::string before = world.running.dump();
  const std::string out = world.dispatcher.handle(std::string_view(reinterpret_cast<const char*>(data), size));
  for (char c : out) check(c >= 0x20 && c <= 0x7e);
  const json doc = json::parse(out, nullptr, false);
  check(doc.is_object() && doc.contains("result") && doc["result"].is_number_integer());
  const auto result = doc["result"].get<int>();
  check(result >= 0 && result <= 4);
  // A refused command leaves everything as it was.
  if (result != 0) {
    check(world.changes == 0);
    check(world.running.dump() == before);
  }
  return 0;
}
