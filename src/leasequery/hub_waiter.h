// HubWaiter: lets a coroutine on an Asio event loop sleep until the ChangeHub has
// something newer than its cursor, or a timeout passes. The hub's listener (store thread)
// only posts a wake-up to the loop. One waiter per streaming session.
#pragma once

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

#include "leasequery/change_hub.h"

namespace leasehold::leasequery {

class HubWaiter {
 public:
  HubWaiter(boost::asio::io_context& io, ChangeHub& hub);
  ~HubWaiter();
  HubWaiter(const HubWaiter&) = delete;
  HubWaiter& operator=(const HubWaiter&) = delete;

  // True when the hub moved past `cursor`; false after `timeout` without news, or when
  // cancel() was called.
  boost::asio::awaitable<bool> wait(std::uint64_t cursor, std::chrono::steady_clock::duration timeout);
  // Ends a wait early (shutdown); the coroutine sees false.
  void cancel();

 private:
  ChangeHub& hub_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::uint64_t id_ = 0;
};

}  // namespace leasehold::leasequery
