#pragma once
// One call at a time handed to a thread pool and awaited later, so that a
// coroutine can do network I/O while its disk I/O runs elsewhere.
//
//   Offloaded<Result<std::size_t>> next(executor);
//   next.start(&pool, [&] { return source(buffer, n); });   // runs on the pool
//   co_await channel.write(...);                            // meanwhile
//   auto got = co_await next.wait();
//
// Without a pool (nullptr) the call runs inline in start(). A started call
// must be awaited before the Offloaded is destroyed: the pool thread writes
// into it when done.

#include <chrono>
#include <optional>
#include <utility>

#include "asio/asio.h"

namespace sfs::net {

template <typename T>
class Offloaded {
 public:
  explicit Offloaded(const asio::any_io_executor& executor) : wake_(executor) {}
  Offloaded(const Offloaded&) = delete;
  Offloaded& operator=(const Offloaded&) = delete;

  bool running() const { return running_; }

  template <typename F>
  void start(asio::thread_pool* pool, F fn) {
    result_.reset();
    if (pool == nullptr) {
      result_.emplace(fn());
      return;
    }
    running_ = true;
    asio::post(*pool, [this, fn = std::move(fn)]() mutable {
      T result = fn();
      // Back on the coroutine's executor, so no lock is needed.
      asio::post(wake_.get_executor(), [this, result = std::move(result)]() mutable {
        result_.emplace(std::move(result));
        running_ = false;
        wake_.cancel();
      });
    });
  }

  // The started call's result (once).
  awaitable<T> wait() {
    while (running_) {
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*result_);
  }

 private:
  asio::steady_timer wake_;  // cancelled when the call is done
  std::optional<T> result_;
  bool running_ = false;
};

}  // namespace sfs::net
