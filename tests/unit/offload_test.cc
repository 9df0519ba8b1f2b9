#include "asio/offload.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sfs {
namespace {

// Runs `body` as a coroutine on a fresh io_context until it finishes.
template <typename Body>
void run_coroutine(Body body) {
  asio::io_context io;
  bool finished = false;
  asio::co_spawn(
      io, [&]() -> awaitable<void> { co_await body(io.get_executor()); },
      [&](std::exception_ptr e) {
        finished = true;
        if (e) {
          std::rethrow_exception(e);
        }
      });
  io.run();
  EXPECT_TRUE(finished);
}

TEST(OffloadedTest, WithoutAPoolTheCallRunsInlineInStart) {
  run_coroutine([](asio::any_io_executor ex) -> awaitable<void> {
    Offloaded<int> job(ex);
    int calls = 0;
    job.start(nullptr, [&] { return ++calls; });
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(job.running());
    EXPECT_EQ(co_await job.wait(), 1);
  });
}

// A call that is done but not waited for is still unclaimed (a slow
// download's read-ahead frame that finished before the stall: the sender
// must collect it to give back its buffers).
TEST(OffloadedTest, ADoneCallStaysUnclaimedUntilItsResultIsTaken) {
  asio::thread_pool pool(1);
  run_coroutine([&pool](asio::any_io_executor ex) -> awaitable<void> {
    Offloaded<int> job(ex);
    EXPECT_FALSE(job.unclaimed());
    job.start(nullptr, [] { return 7; });
    EXPECT_FALSE(job.running());
    EXPECT_TRUE(job.unclaimed());
    EXPECT_EQ(co_await job.wait(), 7);
    EXPECT_FALSE(job.unclaimed());
    job.start(&pool, [] { return 8; });
    EXPECT_TRUE(job.unclaimed());
    asio::steady_timer pause(ex);
    for (int i = 0; i < 1000 && job.running(); ++i) {  // bounded: until the pool is done
      pause.expires_after(std::chrono::milliseconds(5));
      co_await pause.async_wait(asio::use_awaitable);
    }
    EXPECT_FALSE(job.running());
    EXPECT_TRUE(job.unclaimed());
    EXPECT_EQ(co_await job.wait(), 8);
    EXPECT_FALSE(job.unclaimed());
  });
}

TEST(OffloadedTest, TheCallRunsOnThePoolAndItsResultComesBack) {
  asio::thread_pool pool(1);
  run_coroutine([&pool](asio::any_io_executor ex) -> awaitable<void> {
    Offloaded<std::thread::id> job(ex);
    job.start(&pool, [] { return std::this_thread::get_id(); });
    const std::thread::id worker = co_await job.wait();
    EXPECT_NE(worker, std::this_thread::get_id());
    EXPECT_FALSE(job.running());
  });
}

TEST(OffloadedTest, TheCoroutineGoesOnWhileTheCallRuns) {
  asio::thread_pool pool(1);
  run_coroutine([&pool](asio::any_io_executor ex) -> awaitable<void> {
    std::atomic<bool> release{false};
    Offloaded<int> job(ex);
    job.start(&pool, [&] {
      while (!release) {
        std::this_thread::yield();
      }
      return 42;
    });
    // Still running: the coroutine was not blocked by start().
    EXPECT_TRUE(job.running());
    release = true;
    EXPECT_EQ(co_await job.wait(), 42);
  });
}

TEST(OffloadedTest, OneAfterAnotherKeepsTheOrder) {
  asio::thread_pool pool(4);
  run_coroutine([&pool](asio::any_io_executor ex) -> awaitable<void> {
    Offloaded<int> job(ex);
    std::vector<int> seen;  // written by the pool, one call at a time
    for (int i = 0; i < 100; ++i) {
      job.start(&pool, [&seen, i] {
        seen.push_back(i);
        return i;
      });
      EXPECT_EQ(co_await job.wait(), i);
    }
    // (ASSERT_* cannot be used in a coroutine: it returns.)
    std::vector<int> expected;
    for (int i = 0; i < 100; ++i) {
      expected.push_back(i);
    }
    EXPECT_EQ(seen, expected);
  });
}

TEST(OffloadedTest, ResultsCanBeMoveOnly) {
  asio::thread_pool pool(1);
  run_coroutine([&pool](asio::any_io_executor ex) -> awaitable<void> {
    Offloaded<std::unique_ptr<std::string>> job(ex);
    job.start(&pool, [] { return std::make_unique<std::string>("moved"); });
    auto out = co_await job.wait();
    EXPECT_EQ(out ? *out : std::string("(null)"), "moved");
  });
}

}  // namespace
}  // namespace sfs

namespace sfs {
namespace {

// call_on: a table without a blocking pool (in memory) is called right
// there, on the caller's thread; one with a pool (a database) never is.
TEST(CallOnTest, WithoutAPoolTheCallRunsOnTheCallersThread) {
  run_coroutine([](asio::any_io_executor) -> awaitable<void> {
    const std::thread::id caller = std::this_thread::get_id();
    const std::thread::id ran =
        co_await call_on(nullptr, [] { return std::this_thread::get_id(); });
    EXPECT_EQ(ran, caller);
  });
}

TEST(CallOnTest, WithAPoolTheCallRunsThereAndTheCallerResumesAtHome) {
  asio::thread_pool pool(1);
  run_coroutine([&pool](asio::any_io_executor) -> awaitable<void> {
    const std::thread::id caller = std::this_thread::get_id();
    const std::thread::id ran = co_await call_on(&pool, [] { return std::this_thread::get_id(); });
    EXPECT_NE(ran, caller);
    EXPECT_EQ(std::this_thread::get_id(), caller);
  });
}

}  // namespace
}  // namespace sfs
