#include "leasequery/hub_waiter.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace leasehold::leasequery {

namespace asio = boost::asio;

HubWaiter::HubWaiter(asio::io_context& io, ChangeHub& hub)
    : hub_(hub), timer_(std::make_shared<asio::steady_timer>(io)) {
  std::weak_ptr<asio::steady_timer> weak = timer_;
  id_ = hub_.subscribe([&io, weak] {
    asio::post(io, [weak] {
      if (auto timer = weak.lock()) timer->cancel();
    });
  });
}

HubWaiter::~HubWaiter() { hub_.unsubscribe(id_); }

asio::awaitable<bool> HubWaiter::wait(std::uint64_t cursor, std::chrono::steady_clock::duration timeout) {
  // Checked after arming, so a wake-up posted between the check and the wait is not lost
  // (it runs on this loop after the coroutine suspends).
  timer_->expires_after(timeout);
  if (hub_.last_revision() > cursor) co_return true;
  boost::system::error_code ec;
  co_await timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return hub_.last_revision() > cursor;
}

void HubWaiter::cancel() { timer_->cancel(); }

}  // namespace leasehold::leasequery
