#pragma once
// Runs slow blocking work on other threads and resumes the calling coroutine
// on its own executor afterwards, so the network threads keep serving other
// connections meanwhile: run_blocking on a thread pool (short disk work),
// run_queued as a user's job on the FairQueue (HASH, VERIFY).
//
//   auto moved = co_await run_blocking(pool, [&] { return tree.move(a, b, max); });
//   auto checks = co_await run_queued(jobs, user, [&] { return tree.verify(); });

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asio/asio.h"
#include "base/result.h"
#include "server/fair_queue.h"

namespace sfs::server {

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

// `fn` returns a Result; the queue's refusal (too many jobs of `user`) and
// its stopping come back as that Result's error.
template <typename F>
awaitable<std::invoke_result_t<F>> run_queued(FairQueue& queue, const std::string& user, F fn) {
  using T = std::invoke_result_t<F>;
  std::optional<T> out;  // lives in this coroutine's frame while it waits
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&out, &queue, &user, &fn](auto handler) {
        // FairQueue::Job is a std::function, which must be copyable.
        auto held = std::make_shared<decltype(handler)>(std::move(handler));
        auto queued = queue.submit(user, [&out, &fn, held](bool run) {
          if (run) {
            out.emplace(fn());
          } else {
            out.emplace(make_error(Errc::kIo, "server stopping"));
          }
          auto executor = asio::get_associated_executor(*held);
          asio::dispatch(executor, std::move(*held));
        });
        if (!queued) {
          out.emplace(queued.error());
          auto executor = asio::get_associated_executor(*held);
          asio::post(executor, std::move(*held));  // never resume inside the initiation
        }
      },
      asio::use_awaitable);
  co_return std::move(*out);
}

}  // namespace sfs::server
