#include "server/log_budget.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace sfs::server {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = LogBudget::Clock;

// How many of `lines` taken at `now` were allowed.
int allowed(LogBudget& budget, Clock::time_point now, int lines) {
  int n = 0;
  for (int i = 0; i < lines; ++i) {
    n += budget.take(now).has_value() ? 1 : 0;
  }
  return n;
}

TEST(LogBudgetTest, BurstThenOnePerPeriod) {
  LogBudget budget(5, seconds(1));
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(allowed(budget, t0, 100), 5);
  EXPECT_EQ(allowed(budget, t0 + milliseconds(999), 10), 0);
  EXPECT_EQ(allowed(budget, t0 + seconds(1), 10), 1);
  EXPECT_EQ(allowed(budget, t0 + milliseconds(1500), 10), 0);
  EXPECT_EQ(allowed(budget, t0 + seconds(3), 10), 2);
}

TEST(LogBudgetTest, WholeAgainAfterAQuietSpell) {
  LogBudget budget(3, seconds(1));
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(allowed(budget, t0, 10), 3);
  // A long pause refills the burst, never more than the burst.
  EXPECT_EQ(allowed(budget, t0 + seconds(3600), 10), 3);
}

TEST(LogBudgetTest, TellsHowManyWereLeftOut) {
  LogBudget budget(2, seconds(1));
  const Clock::time_point t0 = Clock::now();
  EXPECT_EQ(budget.take(t0), std::optional<std::uint64_t>(0));
  EXPECT_EQ(budget.take(t0), std::optional<std::uint64_t>(0));
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(budget.take(t0 + milliseconds(i)), std::nullopt);
  }
  EXPECT_EQ(budget.take(t0 + seconds(1)), std::optional<std::uint64_t>(7));
  EXPECT_EQ(budget.take(t0 + seconds(5)), std::optional<std::uint64_t>(0));
}

TEST(LogBudgetTest, ZeroBurstAllowsNothing) {
  LogBudget budget(0, seconds(1));
  EXPECT_EQ(allowed(budget, Clock::now(), 10), 0);
  EXPECT_EQ(allowed(budget, Clock::now() + seconds(100), 10), 0);
}

}  // namespace
}  // namespace sfs::server
