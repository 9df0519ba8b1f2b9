#include "auth/check_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sfs::auth {
namespace {

// Coroutines on one io_context that take a turn each and keep it until told.
class CheckQueueTest : public ::testing::Test {
 protected:
  // Starts a coroutine that waits for a turn at `priority` and records `id`
  // in `granted_` when it gets one; it keeps the turn until release(id).
  void start(int id, unsigned priority) {
    asio::co_spawn(
        io_,
        [this, id, priority]() -> awaitable<void> {
          auto turn = co_await queue_.wait(priority);
          granted_.push_back(id);
          asio::steady_timer hold(io_, asio::steady_timer::time_point::max());
          holds_[id] = &hold;
          boost::system::error_code ec;
          co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          holds_[id] = nullptr;
        },
        asio::detached);
    poll();
  }
  // Ends every coroutine (each waiting one gets a turn and gives it back),
  // so that none is left holding a turn when the queue goes.
  void TearDown() override {
    for (int round = 0; round < 20; ++round) {
      for (asio::steady_timer* hold : holds_) {
        if (hold != nullptr) {
          hold->cancel();
        }
      }
      poll();
    }
    EXPECT_EQ(queue_.waiting(), 0U);
  }

  void release(int id) {
    ASSERT_NE(holds_[id], nullptr) << id << " holds no turn";
    holds_[id]->cancel();
    poll();
  }
  // Runs what is ready, including what that posts (the wake-up of the next
  // waiter); an io_context that ran out of work must be restarted first.
  void poll() {
    io_.restart();
    io_.poll();
  }

  asio::io_context io_;
  CheckQueue queue_{2};
  std::vector<int> granted_;
  asio::steady_timer* holds_[16] = {};
};

TEST_F(CheckQueueTest, FreeSlotsAreTakenAtOnce) {
  start(1, 2);
  start(2, 2);
  EXPECT_EQ(granted_, (std::vector<int>{1, 2}));
  EXPECT_EQ(queue_.waiting(), 0U);
  start(3, 0);  // both slots taken: even the first in line waits
  EXPECT_EQ(granted_, (std::vector<int>{1, 2}));
  EXPECT_EQ(queue_.waiting(), 1U);
}

TEST_F(CheckQueueTest, TheLowestPriorityNumberGoesFirstThenTheFirstToCome) {
  start(1, 2);
  start(2, 2);
  // Guesses from failing addresses (2) queue up; then a clean (1) and a
  // trusted (0) login arrive.
  start(3, 2);
  start(4, 2);
  start(5, 1);
  start(6, 0);
  start(7, 1);
  EXPECT_EQ(queue_.waiting(), 5U);
  release(1);
  EXPECT_EQ(granted_.back(), 6);
  release(2);
  EXPECT_EQ(granted_.back(), 5);
  release(6);
  EXPECT_EQ(granted_.back(), 7);
  release(5);
  release(7);
  EXPECT_EQ(granted_, (std::vector<int>{1, 2, 6, 5, 7, 3, 4}));
  release(3);
  release(4);
  EXPECT_EQ(queue_.waiting(), 0U);
  // Both slots are free again.
  start(8, 2);
  start(9, 2);
  EXPECT_EQ(granted_.size(), 9U);
}

TEST(CheckQueueThreadsTest, NeverMoreThanTheSlotsAtOnce) {
  asio::thread_pool threads(4);
  CheckQueue queue(2);
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        asio::make_strand(threads),
        [&, i]() -> awaitable<void> {
          auto turn = co_await queue.wait(static_cast<unsigned>(i % 3));
          const int now = ++inside;
          for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
          }
          std::this_thread::yield();
          --inside;
          ++done;
        },
        asio::detached);
  }
  threads.join();
  EXPECT_EQ(done.load(), 200);
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(queue.waiting(), 0U);
}

}  // namespace
}  // namespace sfs::auth
