#include "store/lease_store.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace leasehold::store {

Result<std::unique_ptr<LeaseStore>> open_store(const StoreConfig& config) {
  if (config.type == "memory") return std::unique_ptr<LeaseStore>(std::make_unique<MemoryStore>());
  if (config.type == "sqlite") {
    if (config.name.empty())
      return make_error(Errc::invalid_argument, "lease store type \"sqlite\" needs a file name");
    auto store = SqliteStore::open(config.name);
    if (!store) return store.error();
    return std::unique_ptr<LeaseStore>(std::move(*store));
  }
  std::string shown = config.type.substr(0, 32);
  if (config.type.size() > 32) shown += "...";
  return make_error(Errc::invalid_argument,
                    "lease store type is neither \"sqlite\" nor \"memory\": \"" + shown + "\"");
}

}  // namespace leasehold::store
