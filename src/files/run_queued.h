#pragma once
// Runs a user's slow job (HASH, VERIFY) at the user's turn on the FairQueue.
// The job itself is an awaitable (a storage::Space call), so the backend
// decides where its work runs (the POSIX backend: its slow-work pool); the
// queue thread that gave the turn is held until the job ends, so the queue
// still decides how many slow jobs run at once and that users take turns.
//
//   auto checks = co_await run_queued(jobs, user, [&] { return space.verify(); });

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asio/asio.h"
#include "base/result.h"
#include "files/fair_queue.h"

namespace sfs::files {

// How often a queue thread holding a turn looks whether the queue stops.
inline constexpr auto kTurnPoll = std::chrono::milliseconds(50);

// A turn on the queue: its thread is held until the Turn ends.
class Turn {
 public:
  explicit Turn(std::shared_ptr<std::promise<void>> done) : done_(std::move(done)) {}
  Turn(Turn&&) noexcept = default;
  Turn& operator=(Turn&&) = delete;
  Turn(const Turn&) = delete;
  Turn& operator=(const Turn&) = delete;
  ~Turn() {
    if (done_) {
      done_->set_value();
    }
  }

 private:
  std::shared_ptr<std::promise<void>> done_;
};

// Waits for `user`'s turn. kTooLarge when the user has too many jobs
// queued, kIo "server stopping" when the queue stopped first.
inline awaitable<Result<Turn>> take_turn(FairQueue& queue, const std::string& user) {
  auto done = std::make_shared<std::promise<void>>();
  std::shared_future<void> ended = done->get_future().share();
  std::optional<Result<void>> out;  // lives in this coroutine's frame while it waits
  // Built in a local, capturing only references into this frame: GCC 12
  // mis-compiles a lambda temporary with non-trivial captures (the future)
  // inside a co_await expression (it freed the future's state early).
  auto initiation = [&out, &queue, &user, &ended](auto handler) {
    // FairQueue::Job is a std::function, which must be copyable.
    auto held = std::make_shared<decltype(handler)>(std::move(handler));
    auto queued = queue.submit(user, [&out, &queue, held, ended](bool run) {
      if (run) {
        out.emplace();
      } else {
        out.emplace(make_error(Errc::kIo, "server stopping"));
      }
      auto executor = asio::get_associated_executor(*held);
      asio::dispatch(executor, std::move(*held));
      // Hold the thread (the turn) until the job ends, or the queue stops
      // (then the coroutine may never run again to end it).
      while (run && ended.wait_for(kTurnPoll) != std::future_status::ready && !queue.stopping()) {
      }
    });
    if (!queued) {
      out.emplace(queued.error());
      auto executor = asio::get_associated_executor(*held);
      asio::post(executor, std::move(*held));  // never resume inside the initiation
    }
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(initiation,
                                                                        asio::use_awaitable);
  if (!*out) {
    co_return out->error();
  }
  co_return Turn(std::move(done));
}

// `job()` returns an awaitable of a Result; it runs at the user's turn. The
// queue's refusal (too many jobs of `user`) and its stopping come back as
// that Result's error.
template <typename F>
auto run_queued(FairQueue& queue, std::string user, F job) -> std::invoke_result_t<F> {
  auto turn = co_await take_turn(queue, user);
  if (!turn) {
    co_return turn.error();
  }
  co_return co_await job();
}

}  // namespace sfs::files
