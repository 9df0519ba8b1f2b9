#include "auth/throttle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace sfs::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = Throttle::Clock;

// A fixed point in time: the tests never read the clock.
const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(24);

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void fail(Throttle& throttle, const std::string& key, int times, Clock::time_point now) {
  for (int i = 0; i < times; ++i) {
    throttle.failure(key, now);
  }
}

Throttle::Settings settings(double free_failures, milliseconds base, milliseconds max,
                            seconds half_life = seconds(60), std::size_t max_keys = 10000) {
  Throttle::Settings s;
  s.free_failures = free_failures;
  s.base = base;
  s.max = max;
  s.half_life = half_life;
  s.max_keys = max_keys;
  return s;
}

TEST(ThrottleTest, UnknownKeyHasNoDelay) {
  const Throttle throttle;
  EXPECT_EQ(throttle.delay("ip:192.0.2.1", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.delay("", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.size(), 0U);
}

TEST(ThrottleTest, DefaultsFreeFailuresThenDoubling) {
  // docs/security.md: after 3 free failures 0.5 s, doubling, up to 30 s.
  Throttle throttle;
  const std::string key = "user:bob";
  const double expected[] = {0, 0, 0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (int failures = 0; failures <= 10; ++failures) {
    EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), expected[failures])
        << "after " << failures << " failures";
    throttle.failure(key, kT0);
  }
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 30000);
  fail(throttle, key, 1000, kT0);  // no overflow however many
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 30000);
  EXPECT_EQ(throttle.size(), 1U);
}

TEST(ThrottleTest, CustomSettings) {
  Throttle throttle(settings(1, milliseconds(100), milliseconds(1000)));
  const std::string key = "k";
  throttle.failure(key, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 100);
  throttle.failure(key, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 200);
  fail(throttle, key, 3, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 1000);  // 1600 capped
}

TEST(ThrottleTest, NoFreeFailures) {
  Throttle throttle(settings(0, milliseconds(10), milliseconds(100000)));
  EXPECT_EQ(throttle.delay("k", kT0), Clock::duration::zero());  // unknown
  throttle.failure("k", kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("k", kT0)), 20);
}

TEST(ThrottleTest, FailuresHalveEveryHalfLife) {
  Throttle throttle(settings(3, milliseconds(500), milliseconds(30000)));
  const std::string key = "ip:10.0.0.1";
  fail(throttle, key, 6, kT0);  // 3 paid: 8 * base
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 4000);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0 + seconds(60))), 500);            // 3 failures left
  EXPECT_EQ(throttle.delay(key, kT0 + seconds(120)), Clock::duration::zero());  // 1.5 left
  // Half a half-life: 6 / sqrt(2) = 4.243 failures, 1.243 paid.
  EXPECT_NEAR(ms(throttle.delay(key, kT0 + seconds(30))), 500 * std::exp2(6 / std::sqrt(2) - 3),
              0.01);
  // Asking does not change the score.
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0)), 4000);

  // A failure after a half-life adds to the decayed count: 3 + 1.
  throttle.failure(key, kT0 + seconds(60));
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0 + seconds(60))), 1000);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(key, kT0 + seconds(120))), 0);  // 2 left
}

TEST(ThrottleTest, CustomHalfLife) {
  Throttle throttle(settings(0, milliseconds(100), milliseconds(100000), seconds(10)));
  fail(throttle, "k", 4, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("k", kT0)), 1600);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("k", kT0 + seconds(10))), 400);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("k", kT0 + seconds(20))), 200);
}

TEST(ThrottleTest, TimeGoingBackwardsDoesNotGrowTheScore) {
  Throttle throttle(settings(0, milliseconds(100), milliseconds(100000)));
  fail(throttle, "k", 2, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("k", kT0 - seconds(600))), 400);
}

TEST(ThrottleTest, SuccessClears) {
  Throttle throttle;
  fail(throttle, "user:bob", 8, kT0);
  fail(throttle, "user:eve", 8, kT0);
  ASSERT_DOUBLE_EQ(ms(throttle.delay("user:bob", kT0)), 16000);
  EXPECT_EQ(throttle.size(), 2U);
  throttle.success("user:bob");
  EXPECT_EQ(throttle.delay("user:bob", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.size(), 1U);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("user:eve", kT0)), 16000);
  // Counting starts anew.
  fail(throttle, "user:bob", 3, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("user:bob", kT0)), 500);
  throttle.success("user:nobody");  // unknown: nothing happens
  EXPECT_EQ(throttle.size(), 2U);
}

TEST(ThrottleTest, KeysAreIndependent) {
  Throttle throttle;
  fail(throttle, "ip:10.0.0.1", 5, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:10.0.0.1", kT0)), 2000);
  EXPECT_EQ(throttle.delay("ip:10.0.0.2", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.delay("ip:10.0.0.", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.delay("ip:10.0.0.10", kT0), Clock::duration::zero());
  EXPECT_EQ(throttle.delay("user:10.0.0.1", kT0), Clock::duration::zero());
  fail(throttle, "ip:10.0.0.2", 4, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:10.0.0.2", kT0)), 1000);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:10.0.0.1", kT0)), 2000);
  EXPECT_EQ(throttle.size(), 2U);
}

TEST(ThrottleTest, KeysMayHoldAnyBytes) {
  Throttle throttle(settings(0, milliseconds(1), milliseconds(1000)));
  const std::string with_nul("a\0b", 3);
  throttle.failure(with_nul, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay(with_nul, kT0)), 2);
  EXPECT_EQ(throttle.delay("a", kT0), Clock::duration::zero());
}

TEST(ThrottleTest, MemoryIsBounded) {
  Throttle throttle(settings(3, milliseconds(500), milliseconds(30000), seconds(60), 100));
  for (int i = 0; i < 1000; ++i) {
    throttle.failure("ip:" + std::to_string(i), kT0);
    ASSERT_LE(throttle.size(), 100U) << "after " << i + 1 << " keys";
  }
  EXPECT_EQ(throttle.size(), 100U);
  // The newest key is kept.
  fail(throttle, "ip:999", 2, kT0);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:999", kT0)), 500);
}

TEST(ThrottleTest, HeavilyPenalisedKeySurvivesEviction) {
  Throttle throttle(settings(3, milliseconds(500), milliseconds(30000), seconds(60), 100));
  fail(throttle, "ip:attacker", 6, kT0);
  for (int i = 0; i < 1000; ++i) {
    throttle.failure("ip:" + std::to_string(i), kT0 + seconds(1));
  }
  EXPECT_LE(throttle.size(), 100U);
  // 6 failures one second ago: 6 * 2^(-1/60), 2.93 paid.
  EXPECT_NEAR(ms(throttle.delay("ip:attacker", kT0 + seconds(1))),
              500 * std::exp2(6 * std::exp2(-1.0 / 60) - 3), 0.01);
}

TEST(ThrottleTest, DecayedKeysAreForgottenFirst) {
  Throttle throttle(settings(3, milliseconds(500), milliseconds(30000), seconds(60), 100));
  for (int i = 0; i < 100; ++i) {
    throttle.failure("old:" + std::to_string(i), kT0);
  }
  ASSERT_EQ(throttle.size(), 100U);
  // Ten half-lives later they are all but gone: adding a key drops them all.
  throttle.failure("new", kT0 + seconds(600));
  EXPECT_EQ(throttle.size(), 1U);
  EXPECT_EQ(throttle.delay("old:0", kT0 + seconds(600)), Clock::duration::zero());
}

TEST(ThrottleTest, ConcurrentFailuresAreAllCounted) {
  // 20000 failures per key, 19999 of them free: exactly one paid, 2 * base.
  // A lost update would leave 1 ms or none.
  Throttle throttle(settings(19999, milliseconds(1), milliseconds(1000)));
  const std::vector<std::string> keys = {"ip:a", "ip:b"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&throttle, &keys] {
      for (int i = 0; i < 10000; ++i) {
        const std::string& key = keys[i % 2];
        throttle.failure(key, kT0);
        if (i % 100 == 0) {
          (void)throttle.delay(key, kT0);
          (void)throttle.size();
          throttle.success("ip:other");
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(throttle.size(), 2U);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:a", kT0)), 2);
  EXPECT_DOUBLE_EQ(ms(throttle.delay("ip:b", kT0)), 2);
}

TEST(ThrottleTest, AttemptsInFlightAreCountedApartFromFailures) {
  Throttle throttle;
  const std::string key = "ip:192.0.2.9";
  EXPECT_EQ(throttle.in_flight(key), 0U);
  throttle.begin(key);
  throttle.begin(key);
  EXPECT_EQ(throttle.in_flight(key), 2U);
  EXPECT_EQ(throttle.failures(key, kT0), 0);
  EXPECT_EQ(throttle.delay(key, kT0), Clock::duration::zero());  // in flight is no failure
  EXPECT_EQ(throttle.size(), 0U);                                // in flight only: no score kept
  throttle.end(key);
  throttle.failure(key, kT0);
  EXPECT_EQ(throttle.in_flight(key), 1U);
  EXPECT_DOUBLE_EQ(throttle.failures(key, kT0), 1);
  EXPECT_DOUBLE_EQ(throttle.failures(key, kT0 + seconds(60)), 0.5);
  // A success clears the failures, not the attempts in flight.
  throttle.success(key);
  EXPECT_EQ(throttle.failures(key, kT0), 0);
  EXPECT_EQ(throttle.in_flight(key), 1U);
  throttle.end(key);
  throttle.end(key);  // more ends than begins: nothing happens
  EXPECT_EQ(throttle.in_flight(key), 0U);
  EXPECT_EQ(throttle.in_flight("other"), 0U);
}

TEST(ThrottleTest, PenaltyAndLevelAreInverse) {
  const Throttle throttle(settings(3, milliseconds(500), milliseconds(3600000)));
  EXPECT_EQ(throttle.penalty(2.49, 3), Clock::duration::zero());
  EXPECT_DOUBLE_EQ(ms(throttle.penalty(2.5, 3)), 500);
  EXPECT_DOUBLE_EQ(ms(throttle.penalty(3, 3)), 500);
  EXPECT_DOUBLE_EQ(ms(throttle.penalty(8, 3)), 16000);
  EXPECT_DOUBLE_EQ(ms(throttle.penalty(8, 12)), 0);
  EXPECT_DOUBLE_EQ(ms(throttle.penalty(14, 12)), 2000);
  // 30 s is 60 times the base: reached log2(60) = 5.91 failures past the free ones.
  const double level = throttle.level(seconds(30), 3);
  EXPECT_NEAR(level, 3 + std::log2(60.0), 1e-9);
  EXPECT_NEAR(ms(throttle.penalty(level, 3)), 30000, 1e-6);
  EXPECT_GT(throttle.penalty(level + 0.01, 3), seconds(30));
  EXPECT_DOUBLE_EQ(throttle.level(milliseconds(100), 3), 3);  // under the base: the free ones
}

TEST(ThrottleTest, TimeUntilAScoreDecaysToALevel) {
  Throttle throttle;  // half-life 60 s
  fail(throttle, "k", 8, kT0);
  EXPECT_EQ(throttle.time_until("k", 8, kT0), Clock::duration::zero());
  EXPECT_NEAR(std::chrono::duration<double>(throttle.time_until("k", 4, kT0)).count(), 60, 1e-6);
  EXPECT_NEAR(std::chrono::duration<double>(throttle.time_until("k", 1, kT0)).count(), 180, 1e-6);
  EXPECT_NEAR(std::chrono::duration<double>(throttle.time_until("k", 1, kT0 + seconds(60))).count(),
              120, 1e-6);
  EXPECT_EQ(throttle.time_until("unknown", 0.1, kT0), Clock::duration::zero());
  // Bounded, even for a level that can never be reached.
  EXPECT_LE(throttle.time_until("k", 0, kT0), std::chrono::hours(24));
}

}  // namespace
}  // namespace sfs::auth
