#pragma once
// Runs a user's slow job (HASH, VERIFY) on the FairQueue and resumes the
// calling coroutine on its own executor afterwards (run_blocking, for short
// disk work on a plain pool, is in asio/offload.h).
//
//   auto checks = co_await run_queued(jobs, user, [&] { return tree.verify(); });

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asio/asio.h"
#include "base/result.h"
#include "files/fair_queue.h"

namespace sfs::files {

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

}  // namespace sfs::files
