#pragma once
// Turns at the password checks: at most `slots` at once (the size of the
// Argon2id pool), and when more wait, the lowest priority number goes
// first, then the first to come. So a login from an address its user
// logged in from, or from a clean one, waits at most for the checks
// already running, never behind a queue of guesses from failing addresses
// (docs/security.md, "Login throttling").
//
//   CheckQueue queue(2);
//   CheckQueue::Turn turn = co_await queue.wait(priority);
//   co_await run_blocking(pool, check);   // the turn ends with `turn`
//
// Thread-safe; a waiting coroutine resumes on its own executor, which must
// be a strand or single-threaded (a session's is). A coroutine destroyed
// while waiting (at shutdown) keeps its turn forever.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "asio/asio.h"

namespace sfs::auth {

class CheckQueue {
 public:
  // One turn; move-only, given back when destroyed.
  class Turn {
   public:
    Turn(Turn&& other) noexcept : queue_(std::exchange(other.queue_, nullptr)) {}
    Turn& operator=(Turn&&) = delete;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn() {
      if (queue_ != nullptr) {
        queue_->release();
      }
    }

   private:
    friend class CheckQueue;
    explicit Turn(CheckQueue* queue) : queue_(queue) {}
    CheckQueue* queue_;
  };

  explicit CheckQueue(unsigned slots) : free_(slots) {}

  // Waits for a turn: at once when a slot is free and nobody waits.
  awaitable<Turn> wait(unsigned priority);
  // Coroutines waiting now (for tests and logs).
  std::size_t waiting() const;

 private:
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor)
        : timer(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;  // woken by release() through its executor
    bool granted = false;      // guarded by mutex_
  };

  void release();

  mutable std::mutex mutex_;
  unsigned free_;
  std::uint64_t arrivals_ = 0;
  std::map<std::pair<unsigned, std::uint64_t>, std::shared_ptr<Waiter>> waiting_;
};

}  // namespace sfs::auth
