// The client's reconnect backoff (client/connection.h): 0.5 s doubling to
// 8 s, shortened by at most a quarter.

#include <gtest/gtest.h>

#include <chrono>

#include "client/connection.h"

namespace sfs::client {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesFromHalfASecondUpToTheCap) {
  EXPECT_EQ(backoff_delay(1, 0.0), milliseconds(500));
  EXPECT_EQ(backoff_delay(2, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(3, 0.0), milliseconds(2000));
  EXPECT_EQ(backoff_delay(5, 0.0), milliseconds(8000));
  EXPECT_EQ(backoff_delay(6, 0.0), kMaxBackoff);
  EXPECT_EQ(backoff_delay(kMaxRetries, 0.0), kMaxBackoff);  // no overflow
}

TEST(BackoffTest, JitterShortensByAtMostAQuarter) {
  EXPECT_EQ(backoff_delay(1, 0.5), milliseconds(437));
  EXPECT_GT(backoff_delay(4, 0.999), milliseconds(3000));
  EXPECT_LE(backoff_delay(4, 0.999), milliseconds(4000));
}

TEST(BackoffTest, TotalWaitOfTheDefaultRetriesIsBounded) {
  milliseconds total{0};
  for (unsigned attempt = 1; attempt <= ConnectOptions{}.retries; ++attempt) {
    total += backoff_delay(attempt, 0.0);
  }
  EXPECT_EQ(total, milliseconds(15500));
}

}  // namespace
}  // namespace sfs::client
