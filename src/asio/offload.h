#pragma once
// Hands blocking work (disk, Argon2id) to a thread pool so the network
// threads keep serving other connections meanwhile. The one place where
// work leaves a coroutine's executor and comes back to it.
//
//   auto moved = co_await run_blocking(pool, [&] { return tree.move(a, b, max); });
//
//   Offloaded<Result<std::size_t>> next(executor);          // start now, await later:
//   next.start(&pool, [&] { return source(buffer, n); });   // runs on the pool
//   next.start(file.read_at(buffer, n, at));                // or: an awaitable of its own
//   co_await channel.write(...);                            // meanwhile
//   auto got = co_await next.wait();
//
// Offloaded without a pool (nullptr) runs the call inline in start(). A
// started call must be awaited before the Offloaded is destroyed: the pool
// thread (or the started coroutine) writes into it when done.

#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include "asio/asio.h"

namespace sfs {

// Runs fn() on `pool` and resumes the caller on its own executor with the
// result.
template <typename F>
awaitable<std::invoke_result_t<F>> run_blocking(asio::thread_pool& pool, F fn) {
  using T = std::invoke_result_t<F>;
  std::optional<T> out;  // lives in this coroutine's frame while it waits
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&out, &pool, &fn](auto handler) {
        asio::post(pool, [&out, &fn, handler = std::move(handler)]() mutable {
          out.emplace(fn());
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor, std::move(handler));
        });
      },
      asio::use_awaitable);
  co_return std::move(*out);
}

// Runs fn() where its owner wants it: inline when `pool` is nullptr (a
// call that does not block, e.g. an in-memory table), else on `pool` as
// run_blocking() (a database's call must not stall the network threads).
template <typename F>
awaitable<std::invoke_result_t<F>> call_on(asio::thread_pool* pool, F fn) {
  if (pool != nullptr) {
    co_return co_await run_blocking(*pool, std::move(fn));
  }
  co_return fn();
}

template <typename T>
class Offloaded {
 public:
  explicit Offloaded(const asio::any_io_executor& executor) : wake_(executor) {}
  Offloaded(const Offloaded&) = delete;
  Offloaded& operator=(const Offloaded&) = delete;

  // Still running: it may still write into what it was given.
  bool running() const { return running_; }
  // Started and its result not taken by wait() yet (running or done).
  bool unclaimed() const { return running_ || result_.has_value(); }

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

  // Starts `work` (an awaitable<T>) on the executor given at construction;
  // it runs while the caller goes on (as far as `work` itself waits, for a
  // pool or the network), and its result is kept for wait().
  void start(awaitable<T> work) {
    result_.reset();
    running_ = true;
    asio::co_spawn(wake_.get_executor(), finish_into(this, std::move(work)), asio::detached);
  }

  // The started call's result (once).
  awaitable<T> wait() {
    while (running_) {
      wake_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    T result = std::move(*result_);
    result_.reset();
    co_return result;
  }

 private:
  static awaitable<void> finish_into(Offloaded* self, awaitable<T> work) {
    T result = co_await std::move(work);
    self->result_.emplace(std::move(result));
    self->running_ = false;
    self->wake_.cancel();
  }

  asio::steady_timer wake_;  // cancelled when the call is done
  std::optional<T> result_;
  bool running_ = false;
};

}  // namespace sfs
