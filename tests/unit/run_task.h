#pragma once
// Runs a coroutine to its end on a private io_context, for tests of code
// that awaits (storage backends, the S3 client).

#include <exception>
#include <optional>
#include <utility>

#include "asio/asio.h"
#include "base/check.h"

namespace sfs::test {

// Runs `task` to its end and returns its value; an exception it throws is
// thrown here.
template <typename T>
T run(awaitable<T> task) {
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(
      io, [&]() -> awaitable<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr e) {
        if (e) {
          std::rethrow_exception(e);
        }
      });
  io.run();
  SFS_CHECK(out.has_value());
  return std::move(*out);
}

}  // namespace sfs::test
