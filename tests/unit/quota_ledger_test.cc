#include "server/quota_ledger.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace sfs::server {
namespace {

using Reserved = QuotaLedger::Reserved;

// A check that passes while the user's others plus `bytes` stay within `limit`.
auto within(std::uint64_t limit, std::uint64_t bytes, std::vector<Reserved>* seen = nullptr) {
  return [=](Reserved others) -> Result<void> {
    if (seen != nullptr) {
      seen->push_back(others);
    }
    if (others.bytes + bytes > limit) {
      return make_error(Errc::kTooLarge, "quota exceeded");
    }
    return {};
  };
}

TEST(QuotaLedgerTest, TheCheckSeesWhatOtherUploadsOfTheUserReserved) {
  QuotaLedger ledger;
  std::vector<Reserved> seen;
  auto first = ledger.reserve("alice", {60, 1}, within(100, 60, &seen));
  ASSERT_TRUE(first.ok());
  auto second = ledger.reserve("alice", {30, 1}, within(100, 30, &seen));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].bytes, 0U);
  EXPECT_EQ(seen[1].bytes, 60U);
  EXPECT_EQ(seen[1].files, 1U);
  auto third = ledger.reserve("alice", {20, 1}, within(100, 20));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::kTooLarge);
}

TEST(QuotaLedgerTest, UsersDoNotShareReservations) {
  QuotaLedger ledger;
  auto alice = ledger.reserve("alice", {100, 1}, within(100, 100));
  ASSERT_TRUE(alice.ok());
  EXPECT_TRUE(ledger.reserve("bob", {100, 1}, within(100, 100)).ok());
}

TEST(QuotaLedgerTest, AReservationEndsWithItsObject) {
  QuotaLedger ledger;
  {
    auto held = ledger.reserve("alice", {100, 1}, within(100, 100));
    ASSERT_TRUE(held.ok());
    EXPECT_FALSE(ledger.reserve("alice", {1, 1}, within(100, 1)).ok());
  }
  std::vector<Reserved> seen;
  EXPECT_TRUE(ledger.reserve("alice", {100, 1}, within(100, 100, &seen)).ok());
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].bytes, 0U);
  EXPECT_EQ(seen[0].files, 0U);
}

TEST(QuotaLedgerTest, AMovedReservationIsReleasedOnce) {
  QuotaLedger ledger;
  std::optional<QuotaLedger::Reservation> kept;
  {
    auto held = ledger.reserve("alice", {50, 1}, within(100, 50));
    ASSERT_TRUE(held.ok());
    kept.emplace(std::move(*held));
  }  // the moved-from one releases nothing
  std::vector<Reserved> seen;
  auto again = ledger.reserve("alice", {10, 0}, within(100, 10, &seen));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(seen.back().bytes, 50U);
  kept.reset();
  auto last = ledger.reserve("alice", {0, 0}, within(100, 0, &seen));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(seen.back().bytes, 10U);  // only `again` is left
}

}  // namespace
}  // namespace sfs::server
