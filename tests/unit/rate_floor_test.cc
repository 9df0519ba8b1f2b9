#include "net/rate_floor.h"

#include <gtest/gtest.h>

#include <chrono>

namespace sfs::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = RateFloor::Clock;

// A fixed point in time: the tests never read the clock.
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(24);

// Feeds `floor` a transfer moving `per_second` bytes, checked every `step`,
// from `from` for `span`; returns the first time it was found too slow, or
// Clock::time_point::max(). `moved` is the running count, updated.
Clock::time_point feed(RateFloor& floor, Clock::time_point from, Clock::duration span,
                       std::uint64_t per_second, std::uint64_t& moved,
                       Clock::duration step = milliseconds(250)) {
  for (Clock::time_point t = from + step; t <= from + span; t += step) {
    moved += per_second *
             static_cast<std::uint64_t>(std::chrono::duration_cast<milliseconds>(step).count()) /
             1000;
    if (!floor.keeps_up(t, moved)) {
      return t;
    }
  }
  return Clock::time_point::max();
}

TEST(RateFloorTest, ZeroIsNoFloor) {
  RateFloor floor(0, seconds(60));
  floor.start(kT0, 0);
  EXPECT_FALSE(floor.enabled());
  EXPECT_TRUE(floor.keeps_up(kT0 + std::chrono::hours(5), 0));
}

TEST(RateFloorTest, TheFirstWindowIsFree) {
  RateFloor floor(1024, seconds(60));
  floor.start(kT0, 0);
  EXPECT_TRUE(floor.keeps_up(kT0 + seconds(30), 0));
  EXPECT_TRUE(floor.keeps_up(kT0 + seconds(59), 0));
  EXPECT_FALSE(floor.keeps_up(kT0 + seconds(60), 0));
}

TEST(RateFloorTest, AStallEndsOneWindowAfterTheLastBytes) {
  RateFloor floor(1024, seconds(16));  // slots of 1 s
  floor.start(kT0, 1000);
  std::uint64_t moved = 1000;
  // Ten seconds at 1 MB/s, then nothing at all.
  ASSERT_EQ(feed(floor, kT0, seconds(10), 1000000, moved), Clock::time_point::max());
  const Clock::time_point ended = feed(floor, kT0 + seconds(10), seconds(40), 0, moved);
  // Not before a whole window without the fast bytes, and within a slot of it.
  EXPECT_GE(ended, kT0 + seconds(10) + seconds(16));
  EXPECT_LE(ended, kT0 + seconds(10) + seconds(17) + milliseconds(250));
}

TEST(RateFloorTest, ATrickleBelowTheRateEnds) {
  RateFloor floor(1024, seconds(60));
  floor.start(kT0, 0);
  std::uint64_t moved = 0;
  // 1 byte every 20 s: the finding's attack.
  Clock::time_point ended = Clock::time_point::max();
  for (int i = 1; i <= 30 && ended == Clock::time_point::max(); ++i) {
    moved += 1;
    if (!floor.keeps_up(kT0 + seconds(20 * i), moved)) {
      ended = kT0 + seconds(20 * i);
    }
  }
  EXPECT_EQ(ended, kT0 + seconds(60));
}

TEST(RateFloorTest, HalfTheRateEndsAndTheRateItselfGoesOn) {
  RateFloor slow(1000, seconds(8));
  slow.start(kT0, 0);
  std::uint64_t moved = 0;
  EXPECT_NE(feed(slow, kT0, seconds(60), 500, moved), Clock::time_point::max());

  RateFloor steady(1000, seconds(8));
  steady.start(kT0, 0);
  moved = 0;
  EXPECT_EQ(feed(steady, kT0, seconds(120), 1000, moved), Clock::time_point::max());
}

TEST(RateFloorTest, BurstsAveragedOverTheWindowKeepUp) {
  // 8 KiB every 4 s is 2 KiB/s on average: above a 1 KiB/s floor over 8 s,
  // although most checks see nothing.
  RateFloor floor(1024, seconds(8));
  floor.start(kT0, 0);
  std::uint64_t moved = 0;
  for (int i = 1; i <= 120; ++i) {  // every 250 ms for 30 s
    if (i % 16 == 0) {
      moved += 8192;
    }
    EXPECT_TRUE(floor.keeps_up(kT0 + milliseconds(250 * i), moved)) << i;
  }
}

TEST(RateFloorTest, LongGapsBetweenChecksCountAsNothingMoved) {
  RateFloor floor(1024, seconds(16));
  floor.start(kT0, 0);
  EXPECT_TRUE(floor.keeps_up(kT0 + seconds(1), 1 << 20));
  // A check an hour later: the megabyte is long out of the window.
  EXPECT_FALSE(floor.keeps_up(kT0 + std::chrono::hours(1), 1 << 20));
}

TEST(RateFloorTest, StartAgainForgetsTheLastTransfer) {
  RateFloor floor(1024, seconds(16));
  floor.start(kT0, 0);
  EXPECT_FALSE(floor.keeps_up(kT0 + seconds(20), 0));
  floor.start(kT0 + seconds(100), 5);
  EXPECT_TRUE(floor.keeps_up(kT0 + seconds(110), 5));
}

TEST(RateFloorTest, SlotsAreASixteenthOfTheWindowAndAtLeastAMillisecond) {
  EXPECT_EQ(RateFloor(1, seconds(16)).slot(), seconds(1));
  EXPECT_EQ(RateFloor(1, seconds(0)).slot(), milliseconds(1));
}

TEST(RateFloorTest, LargeRatesAndWindowsDoNotOverflow) {
  RateFloor floor(std::uint64_t{1} << 30, std::chrono::hours(24 * 365));
  floor.start(kT0, 0);
  EXPECT_TRUE(floor.keeps_up(kT0 + std::chrono::hours(1), 0));
  EXPECT_FALSE(floor.keeps_up(kT0 + std::chrono::hours(24 * 366), std::uint64_t{1} << 50));
}

}  // namespace
}  // namespace sfs::net
