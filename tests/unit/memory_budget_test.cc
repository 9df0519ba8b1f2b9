#include "net/memory_budget.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sfs::net {
namespace {

TEST(MemoryBudgetTest, TakesUpToTheLimitAndNoMore) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.try_take(60));
  EXPECT_TRUE(budget.try_take(40));
  EXPECT_EQ(budget.in_use(), 100U);
  EXPECT_FALSE(budget.try_take(1));
  EXPECT_EQ(budget.in_use(), 100U);  // a refusal takes nothing
  budget.give_back(40);
  EXPECT_FALSE(budget.try_take(41));
  EXPECT_TRUE(budget.try_take(40));
}

TEST(MemoryBudgetTest, HugeRequestsDoNotWrapAround) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.try_take(10));
  EXPECT_FALSE(budget.try_take(SIZE_MAX));
  EXPECT_FALSE(budget.try_take(SIZE_MAX - 5));
  EXPECT_EQ(budget.in_use(), 10U);
}

TEST(MemoryBudgetTest, ThreadsNeverTakeMoreThanTheLimitTogether) {
  constexpr std::size_t kLimit = 1000;
  MemoryBudget budget(kLimit);
  std::vector<std::thread> threads;
  std::atomic<bool> over{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (budget.try_take(7)) {
          if (budget.in_use() > kLimit) {
            over = true;
          }
          budget.give_back(7);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_FALSE(over);
  EXPECT_EQ(budget.in_use(), 0U);
}

TEST(BufferTest, GrowsFromTheBudgetAndGivesItBack) {
  MemoryBudget budget(1000);
  {
    Buffer buffer(&budget);
    EXPECT_EQ(buffer.capacity(), 0U);
    EXPECT_TRUE(buffer.grow(100, 400, 0));
    EXPECT_EQ(buffer.capacity(), 400U);  // the wish, when it fits
    EXPECT_EQ(budget.in_use(), 400U);
    buffer.shrink(50);
    EXPECT_EQ(buffer.capacity(), 50U);
    EXPECT_EQ(budget.in_use(), 50U);
    buffer.release();
    EXPECT_EQ(buffer.capacity(), 0U);
    EXPECT_EQ(budget.in_use(), 0U);
    EXPECT_TRUE(buffer.grow(10, 10, 0));
  }
  EXPECT_EQ(budget.in_use(), 0U);  // given back when it goes away
}

TEST(BufferTest, ShortOfBudgetItTakesTheMinimumOrNothing) {
  MemoryBudget budget(1000);
  ASSERT_TRUE(budget.try_take(700));
  Buffer buffer(&budget);
  EXPECT_TRUE(buffer.grow(200, 800, 0));
  EXPECT_EQ(buffer.capacity(), 200U);  // 800 did not fit, 200 did
  EXPECT_FALSE(buffer.grow(400, 400, 0));
  EXPECT_EQ(buffer.capacity(), 200U);  // unchanged
  EXPECT_EQ(budget.in_use(), 900U);
  EXPECT_TRUE(buffer.grow(150, 300, 0));  // already enough for the minimum
  EXPECT_EQ(buffer.capacity(), 300U);     // and the wish fit (100 more)
  EXPECT_EQ(budget.in_use(), 1000U);
}

TEST(BufferTest, NeverShrinksWhenAskedToGrow) {
  Buffer buffer;
  EXPECT_TRUE(buffer.grow(500, 500, 0));
  EXPECT_TRUE(buffer.grow(100, 200, 0));
  EXPECT_EQ(buffer.capacity(), 500U);
}

TEST(BufferTest, KeepsTheBytesAskedFor) {
  Buffer buffer;
  ASSERT_TRUE(buffer.grow(8, 8, 0));
  std::memcpy(buffer.data(), "abcdefgh", 8);
  ASSERT_TRUE(buffer.grow(1 << 20, 1 << 20, 5));
  EXPECT_EQ(std::string(buffer.data(), 5), "abcde");
  buffer.shrink(3);
  EXPECT_EQ(buffer.capacity(), 3U);
  EXPECT_EQ(std::string(buffer.data(), 3), "abc");
}

TEST(BufferTest, WithoutABudgetItGrowsAsAsked) {
  Buffer buffer;
  EXPECT_TRUE(buffer.grow(1, 4 << 20, 0));
  EXPECT_EQ(buffer.capacity(), std::size_t{4} << 20);
}

TEST(BufferTest, MovingCarriesTheShare) {
  MemoryBudget budget(1000);
  Buffer a(&budget);
  ASSERT_TRUE(a.grow(300, 300, 0));
  Buffer b = std::move(a);
  EXPECT_EQ(a.capacity(), 0U);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(b.capacity(), 300U);
  EXPECT_EQ(budget.in_use(), 300U);
  Buffer c(&budget);
  ASSERT_TRUE(c.grow(100, 100, 0));
  c = std::move(b);  // c's own 100 go back
  EXPECT_EQ(budget.in_use(), 300U);
  c.release();
  EXPECT_EQ(budget.in_use(), 0U);
}

// A fast transfer gives its buffers back at every pause of its socket and
// takes them again: the mapping freed last comes back, with its bytes still
// writable, instead of a new mmap (and a page fault per 4 KiB) each time.
TEST(BufferTest, ALargeBufferGivenBackIsReusedAtTheSameSize) {
  constexpr std::size_t kBytes = std::size_t{1} << 20;
  MemoryBudget budget(4 * kBytes);
  Buffer buffer(&budget);
  ASSERT_TRUE(buffer.grow(kBytes, kBytes, 0));
  const char* first = buffer.data();
  std::memset(buffer.data(), 'x', kBytes);
  buffer.release();
  EXPECT_EQ(budget.in_use(), 0U);  // the cache is outside every budget
  ASSERT_TRUE(buffer.grow(kBytes, kBytes, 0));
  EXPECT_EQ(buffer.data(), first);
  std::memset(buffer.data(), 'y', kBytes);
  Buffer other(&budget);  // the one cached mapping is taken: a new one
  ASSERT_TRUE(other.grow(kBytes, kBytes, 0));
  EXPECT_NE(other.data(), buffer.data());
  std::memset(other.data(), 'z', kBytes);
  EXPECT_EQ(buffer.data()[kBytes - 1], 'y');
}

long minor_faults() {  // NOLINT(google-runtime-int): getrusage's type
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// A receive buffer doubles as bytes arrive. Mapped, it grows by remapping:
// what it holds keeps its pages. Copying the 32 MiB kept here into fresh
// pages took 8,192 page faults, one per 4 KiB; remapping takes none.
TEST(BufferTest, AMappedBufferGrowsAndShrinksWithoutCopyingItsBytes) {
  constexpr std::size_t kHeld = std::size_t{32} << 20;
  Buffer buffer;
  ASSERT_TRUE(buffer.grow(kHeld, kHeld, 0));
  for (std::size_t i = 0; i < kHeld; i += 4096) {
    buffer.data()[i] = static_cast<char>(i / 4096);
  }
  const long before = minor_faults();  // NOLINT(google-runtime-int)
  ASSERT_TRUE(buffer.grow(2 * kHeld, 2 * kHeld, kHeld));
  EXPECT_LT(minor_faults() - before, 1000);
  buffer.shrink(kHeld / 2);
  EXPECT_EQ(buffer.capacity(), kHeld / 2);
  for (std::size_t i = 0; i < kHeld / 2; i += 4096) {
    ASSERT_EQ(buffer.data()[i], static_cast<char>(i / 4096)) << i;
  }
  buffer.data()[kHeld / 2 - 1] = 'x';  // still writable to its end
}

}  // namespace
}  // namespace sfs::net
