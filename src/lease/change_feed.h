// ChangeFeed: the one stream of lease changes the engine publishes. The store writer,
// WireGuard allowed-ips, leasequery and statistics subscribe to it; none of them can
// reach back into the engine. Runs on the engine's thread; subscribers must not block.
#pragma once

#include <functional>
#include <vector>

#include "lease/lease.h"

namespace leasehold::lease {

class ChangeFeed {
 public:
  using Subscriber = std::function<void(const LeaseChange&)>;
  void subscribe(Subscriber s) { subscribers_.push_back(std::move(s)); }
  void publish(const LeaseChange& change) const {
    for (const auto& s : subscribers_) s(change);
  }

 private:
  std::vector<Subscriber> subscribers_;
};

}  // namespace leasehold::lease
