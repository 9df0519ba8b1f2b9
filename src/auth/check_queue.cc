#include "auth/check_queue.h"

namespace sfs::auth {

awaitable<CheckQueue::Turn> CheckQueue::wait(unsigned priority) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  bool now = false;
  {
    const std::lock_guard lock(mutex_);
    if (free_ > 0 && waiting_.empty()) {
      --free_;
      now = true;
    } else {
      waiting_.emplace(std::pair(priority, arrivals_++), waiter);
    }
  }
  while (!now) {
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const std::lock_guard lock(mutex_);
    now = waiter->granted;
  }
  co_return Turn(this);
}

void CheckQueue::release() {
  std::shared_ptr<Waiter> next;
  {
    const std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      ++free_;
      return;
    }
    next = std::move(waiting_.begin()->second);
    waiting_.erase(waiting_.begin());
    next->granted = true;
  }
  // On the waiter's own executor (timers are not thread-safe). Moving the
  // expiry to the past wakes a wait in progress, and makes one not started
  // yet complete at once.
  asio::post(next->timer.get_executor(),
             [next] { next->timer.expires_at(asio::steady_timer::time_point::min()); });
}

std::size_t CheckQueue::waiting() const {
  const std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace sfs::auth
