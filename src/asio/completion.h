#pragma once
// A result that work running anywhere (a pool thread, another executor)
// sets once, and that a coroutine awaits on its own executor or a
// destructor blocks for. Held by shared_ptr by the work and by who waits,
// so either may go first: a block read ahead that nobody reads any more is
// dropped when its GET ends. (Offloaded, in offload.h, is the lighter kind
// for work started and awaited by one coroutine, which must outlive it.)
//
//   auto part = std::make_shared<Completion<Result<std::string>>>();
//   co_spawn(strand, [part]() -> awaitable<void> { part->set(co_await send()); }, detached);
//   co_await part->wait();  // on the caller's executor
//   Result<std::string>& etag = part->value();
//
// One coroutine waits at a time, on an executor that runs one handler at a
// time (a strand, or an io_context run by one thread: set() posts its
// wake-up there, which must not run while the waiter is between its check
// and its wait); any thread may block_until_done.

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "asio/asio.h"

namespace sfs {

template <typename T>
class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  bool done() const {
    const std::lock_guard lock(mutex_);
    return value_.has_value();
  }
  // Once. Wakes the waiter on its own executor, and any blocked thread.
  void set(T value) {
    {
      const std::lock_guard lock(mutex_);
      value_.emplace(std::move(value));
      if (waiter_ != nullptr) {  // it waits until this runs: the timer is there
        // An expiry in the past ends a wait begun or yet to begin.
        asio::post(waiter_->get_executor(),
                   [timer = waiter_] { timer->expires_at(asio::steady_timer::time_point::min()); });
      }
    }
    changed_.notify_all();
  }
  // Waits, on the caller's executor, until set.
  awaitable<void> wait() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    // Should this wait be destroyed unfinished (its io_context going away
    // at shutdown), set() must not reach for the timer.
    struct Unregister {
      Completion* self;
      ~Unregister() {
        const std::lock_guard lock(self->mutex_);
        self->waiter_ = nullptr;
      }
    } unregister{this};
    while (true) {
      {
        const std::lock_guard lock(mutex_);
        if (value_) {
          co_return;
        }
        timer.expires_at(asio::steady_timer::time_point::max());
        waiter_ = &timer;
      }
      boost::system::error_code ec;  // ended by set()
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  void block_until_done() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return value_.has_value(); });
  }
  // The result, once done (after wait, block_until_done, or done() true).
  T& value() { return *value_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<T> value_;
  asio::steady_timer* waiter_ = nullptr;  // of wait(), on its executor
};

}  // namespace sfs
