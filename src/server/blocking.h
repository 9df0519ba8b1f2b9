#pragma once
// Runs slow blocking work (hashing whole files) on a separate thread pool
// and resumes the calling coroutine on its own executor afterwards, so the
// network threads keep serving other connections meanwhile.
//
//   auto checks = co_await run_blocking(pool, [&] { return tree.verify(); });

#include <optional>
#include <type_traits>
#include <utility>

#include "asio/asio.h"

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

}  // namespace sfs::server
