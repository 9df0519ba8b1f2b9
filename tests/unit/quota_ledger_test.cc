#include "files/quota_ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

namespace sfs::files {
namespace {

using Usage = QuotaLedger::Usage;
using Clock = QuotaLedger::Clock;
constexpr auto kRescan = std::chrono::minutes(10);

// A ledger with `limits` that knows `user` uses `used` (measured at `at`).
void measure(QuotaLedger& ledger, const std::string& user, Usage used,
             Clock::time_point at = Clock::now()) {
  const QuotaLedger::Plan plan = ledger.plan_scan(user, at);
  ASSERT_TRUE(plan.scan);
  ledger.finish_scan(user, plan.ticket, used, at);
}

std::string message_of(const Result<QuotaLedger::Reservation>& r) {
  return r ? std::string("ok") : r.error().message;
}

TEST(QuotaLedgerTest, WithoutQuotasEverythingPassesAndNothingIsScanned) {
  QuotaLedger ledger({0, 0}, kRescan);
  EXPECT_FALSE(ledger.enabled());
  const QuotaLedger::Plan plan = ledger.plan_scan("alice", Clock::now());
  EXPECT_FALSE(plan.scan);
  EXPECT_TRUE(plan.known);
  EXPECT_TRUE(ledger.reserve("alice", {1ULL << 40, 1}).ok());
  ledger.record("alice", {5, 1}, {});
  EXPECT_FALSE(ledger.used("alice").has_value());
}

TEST(QuotaLedgerTest, TheFirstCheckWaitsForOneScan) {
  QuotaLedger ledger({100, 0}, kRescan);
  const auto now = Clock::now();
  const QuotaLedger::Plan first = ledger.plan_scan("alice", now);
  EXPECT_TRUE(first.scan);
  EXPECT_FALSE(first.known);
  // A second session meanwhile waits for that scan instead of starting one.
  const QuotaLedger::Plan second = ledger.plan_scan("alice", now);
  EXPECT_FALSE(second.scan);
  EXPECT_FALSE(second.known);
  EXPECT_EQ(ledger.reserve("alice", {1, 1}).error().code, Errc::kIo);
  ledger.finish_scan("alice", first.ticket, Usage{40, 2}, now);
  const QuotaLedger::Plan after = ledger.plan_scan("alice", now);
  EXPECT_FALSE(after.scan);
  EXPECT_TRUE(after.known);
  EXPECT_EQ(ledger.used("alice"), (Usage{40, 2}));
}

TEST(QuotaLedgerTest, AFailedFirstScanLetsTheNextCallerScan) {
  QuotaLedger ledger({100, 0}, kRescan);
  const QuotaLedger::Plan first = ledger.plan_scan("alice", Clock::now());
  ledger.finish_scan("alice", first.ticket, make_error(Errc::kIo, "disk gone"), Clock::now());
  EXPECT_FALSE(ledger.used("alice").has_value());
  const QuotaLedger::Plan again = ledger.plan_scan("alice", Clock::now());
  EXPECT_TRUE(again.scan);
  EXPECT_FALSE(again.known);
}

TEST(QuotaLedgerTest, CountsFollowEachOperation) {
  QuotaLedger ledger({1000, 10}, kRescan);
  measure(ledger, "alice", {0, 0});
  ledger.record("alice", {0, 1}, {});         // mkdir
  ledger.record("alice", {0, 2}, {});         // mkdir -p a/b
  ledger.record("alice", {100, 1}, {});       // new file
  ledger.record("alice", {60, 1}, {100, 1});  // replaced by a smaller one
  EXPECT_EQ(ledger.used("alice"), (Usage{60, 4}));
  ledger.record("alice", {30, 1}, {});  // an interrupted upload's partial kept
  ledger.record("alice", {}, {30, 1});  // ...taken up again by its resume
  ledger.record("alice", {}, {0, 0});   // a move that replaced nothing
  ledger.record("alice", {}, {60, 1});  // delete
  ledger.record("alice", {}, {0, 1});   // rmdir
  EXPECT_EQ(ledger.used("alice"), (Usage{0, 2}));
  ledger.record("alice", {}, {500, 50});  // more than booked: never below 0
  EXPECT_EQ(ledger.used("alice"), (Usage{0, 0}));
}

TEST(QuotaLedgerTest, BytesOverTheQuotaAreRefusedWithWhatIsUsed) {
  QuotaLedger ledger({100, 0}, kRescan);
  measure(ledger, "alice", {90, 2});
  auto refused = ledger.reserve("alice", {20, 1});
  EXPECT_EQ(refused.error().code, Errc::kTooLarge);
  EXPECT_EQ(message_of(refused), "quota exceeded: 90 of 100 bytes used, this file needs 20");
  EXPECT_TRUE(ledger.reserve("alice", {10, 1}).ok());
  // Replacing a 40-byte file with a 50-byte one needs 10 more.
  EXPECT_TRUE(ledger.reserve("alice", {50, 0}, 40).ok());
  EXPECT_FALSE(ledger.reserve("alice", {51, 0}, 40).ok());
  // No bytes asked (a folder): no bytes check, even at the limit.
  measure(ledger, "bob", {100, 0});
  EXPECT_TRUE(ledger.reserve("bob", {0, 1}).ok());
}

TEST(QuotaLedgerTest, FilesAndFoldersShareTheEntriesLimit) {
  QuotaLedger ledger({0, 5}, kRescan);
  measure(ledger, "alice", {0, 3});
  auto two = ledger.reserve("alice", {0, 2});  // mkdir -p a/b
  ASSERT_TRUE(two.ok());
  auto refused = ledger.reserve("alice", {10, 1});
  EXPECT_EQ(message_of(refused), "quota exceeded: 5 files and folders");
  // Replacing a file adds no entry: fine at the limit.
  EXPECT_TRUE(ledger.reserve("alice", {10, 0}, 10).ok());
}

TEST(QuotaLedgerTest, ReservationsOfOneUserAddUpUntilReleased) {
  QuotaLedger ledger({100, 0}, kRescan);
  measure(ledger, "alice", {0, 0});
  measure(ledger, "bob", {0, 0});
  std::optional<QuotaLedger::Reservation> first;
  {
    auto held = ledger.reserve("alice", {60, 1});
    ASSERT_TRUE(held.ok());
    first.emplace(std::move(*held));  // the moved-from one gives nothing back
  }
  EXPECT_EQ(ledger.reserved("alice"), (Usage{60, 1}));
  EXPECT_EQ(message_of(ledger.reserve("alice", {60, 1})),
            "quota exceeded: 60 of 100 bytes used, this file needs 60");
  EXPECT_TRUE(ledger.reserve("bob", {100, 1}).ok());  // users do not share
  first.reset();
  EXPECT_EQ(ledger.reserved("alice"), (Usage{0, 0}));
  EXPECT_TRUE(ledger.reserve("alice", {100, 1}).ok());
}

TEST(QuotaLedgerTest, ConcurrentReservationsNeverPassTheQuotaTogether) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 2000;
  QuotaLedger ledger({1000, 0}, kRescan);
  measure(ledger, "alice", {100, 0});
  std::atomic<std::uint64_t> held_now{0};
  std::atomic<std::uint64_t> most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        auto held = ledger.reserve("alice", {300, 1});
        if (held) {
          const std::uint64_t now = held_now += 300;
          std::uint64_t seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          held_now -= 300;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_LE(most.load(), 900U);  // 100 stored + 3 x 300 fit, a fourth never
  EXPECT_EQ(ledger.reserved("alice"), (Usage{0, 0}));
}

TEST(QuotaLedgerTest, ARescanIsDueAfterItsIntervalAndRunsInTheBackground) {
  QuotaLedger ledger({1000, 0}, kRescan);
  const auto start = Clock::now();
  measure(ledger, "alice", {10, 1}, start);
  EXPECT_FALSE(ledger.plan_scan("alice", start + kRescan / 2).scan);
  const QuotaLedger::Plan due = ledger.plan_scan("alice", start + kRescan);
  EXPECT_TRUE(due.scan);
  EXPECT_TRUE(due.known);  // the check goes ahead with the booked usage
  EXPECT_FALSE(ledger.plan_scan("alice", start + kRescan).scan);  // one at a time
  // Files added outside the server are found.
  ledger.finish_scan("alice", due.ticket, Usage{500, 7}, start + kRescan);
  EXPECT_EQ(ledger.used("alice"), (Usage{500, 7}));
  EXPECT_FALSE(ledger.plan_scan("alice", start + kRescan).scan);
}

TEST(QuotaLedgerTest, ARescanKeepsWhatWasAddedWhileItRan) {
  QuotaLedger ledger({1000, 0}, kRescan);
  const auto start = Clock::now();
  measure(ledger, "alice", {10, 1}, start);
  const QuotaLedger::Plan due = ledger.plan_scan("alice", start + kRescan);
  ASSERT_TRUE(due.scan);
  // While the scan walks: a file committed (the scan may have missed it),
  // another deleted (it may have seen that).
  ledger.record("alice", {100, 1}, {});
  ledger.record("alice", {}, {10, 1});
  ledger.finish_scan("alice", due.ticket, Usage{0, 0}, start + kRescan);
  EXPECT_EQ(ledger.used("alice"), (Usage{100, 1}));  // errs high, never low
}

TEST(QuotaLedgerTest, MarkAllStaleMakesARescanDue) {
  QuotaLedger ledger({1000, 0}, kRescan);
  const auto start = Clock::now();
  measure(ledger, "alice", {10, 1}, start);
  ledger.mark_all_stale();
  const QuotaLedger::Plan due = ledger.plan_scan("alice", start);
  EXPECT_TRUE(due.scan);
  EXPECT_TRUE(due.known);
  ledger.finish_scan("alice", due.ticket, Usage{0, 0}, start);
  EXPECT_FALSE(ledger.plan_scan("alice", start).scan);
}

}  // namespace
}  // namespace sfs::files
