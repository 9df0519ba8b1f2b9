// A result set once from anywhere and awaited on the waiter's executor
// (asio/completion.h).

#include "asio/completion.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

namespace sfs {
namespace {

// Runs `body` as a coroutine on a fresh io_context until it finishes.
template <typename Body>
bool run_coroutine(Body body) {
  asio::io_context io;
  bool finished = false;
  asio::co_spawn(io, body(), [&](const std::exception_ptr& e) {
    finished = true;
    if (e) {
      std::rethrow_exception(e);
    }
  });
  io.run();
  return finished;
}

TEST(CompletionTest, AWaiterWakesWhenAPoolThreadSetsIt) {
  asio::thread_pool pool(1);
  for (int round = 0; round < 50; ++round) {  // set before, during and after the wait begins
    auto done = std::make_shared<Completion<std::string>>();
    asio::post(pool, [done, round] { done->set("round " + std::to_string(round)); });
    std::string got;
    EXPECT_TRUE(run_coroutine([&]() -> awaitable<void> {
      co_await done->wait();
      got = done->value();
    }));
    EXPECT_EQ(got, "round " + std::to_string(round));
  }
  pool.join();
}

TEST(CompletionTest, SetBeforeTheWaitReturnsAtOnce) {
  Completion<int> done;
  EXPECT_FALSE(done.done());
  done.set(7);
  EXPECT_TRUE(done.done());
  EXPECT_TRUE(run_coroutine([&]() -> awaitable<void> { co_await done.wait(); }));
  EXPECT_EQ(done.value(), 7);
}

// The waiter may be gone (its work dropped) by the time the result comes:
// the worker holds the Completion, and setting it reaches for nothing.
TEST(CompletionTest, AThreadBlocksUntilDoneAndNobodyNeedsToWait) {
  auto done = std::make_shared<Completion<int>>();
  std::thread worker([done] { done->set(42); });
  done->block_until_done();
  EXPECT_EQ(done->value(), 42);
  worker.join();
  auto dropped = std::make_shared<Completion<int>>();
  std::thread late([dropped] { dropped->set(1); });
  late.join();
  EXPECT_TRUE(dropped->done());
}

}  // namespace
}  // namespace sfs
