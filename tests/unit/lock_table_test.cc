#include "files/lock_table.h"

#include <gtest/gtest.h>

#include <set>

#include "dav/lock.h"

namespace sfs::files {
namespace {

// The value of a call that cannot fail (the table is in memory).
template <typename T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok());
  return std::move(*result);
}
void ok(const Result<void>& result) { EXPECT_TRUE(result.ok()); }

using std::chrono::seconds;

class LockTableTest : public ::testing::Test {
 protected:
  MemoryLockTable::Clock::time_point now_{};
  MemoryLockTable table_{[this] { return now_; }, 5};

  Lock take(std::string_view user, std::string root, bool exclusive, bool deep = false) {
    auto lock = table_.create(user, {.root = std::move(root),
                                     .exclusive = exclusive,
                                     .deep = deep,
                                     .owner_xml = "me",
                                     .timeout = seconds(10)});
    EXPECT_TRUE(lock.ok()) << (lock ? "" : lock.error().message);
    return lock ? *lock : Lock{};
  }
};

TEST_F(LockTableTest, TokensAreUniqueRandomUuids) {
  std::set<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    const Lock lock = take("alice", "f" + std::to_string(i), true);
    EXPECT_TRUE(dav::is_lock_token(lock.token)) << lock.token;
    EXPECT_TRUE(lock.token.starts_with("urn:uuid:"));
    tokens.insert(lock.token);
  }
  EXPECT_EQ(tokens.size(), 5U);
}

TEST_F(LockTableTest, ExclusiveConflictsSharedShares) {
  take("alice", "a", false);
  take("alice", "a", false);  // a second shared lock
  auto excl = table_.create("alice", {.root = "a", .exclusive = true});
  ASSERT_FALSE(excl.ok());
  EXPECT_EQ(excl.error().code, Errc::kExists);
  EXPECT_EQ(excl.error().message, "locked: /a");
  take("alice", "b", true);
  EXPECT_FALSE(table_.create("alice", {.root = "b", .exclusive = false}).ok());
}

TEST_F(LockTableTest, LocksNeverCrossUsers) {
  const Lock lock = take("alice", "a", true);
  take("bob", "a", true);  // bob's "a" is another file
  EXPECT_TRUE(ok(table_.covering("carol", "a")).empty());
  EXPECT_FALSE(table_.unlock("bob", "a", lock.token).ok());
  EXPECT_FALSE(table_.refresh("bob", "a", lock.token, seconds(5)).ok());
  EXPECT_EQ(ok(table_.covering("alice", "a")).size(), 1U);
}

TEST_F(LockTableTest, DeepLocksCoverMembersAndConflictBothWays) {
  const Lock deep = take("alice", "d", true, true);
  ASSERT_EQ(ok(table_.covering("alice", "d/x/y")).size(), 1U);
  EXPECT_EQ(ok(table_.covering("alice", "d/x/y"))[0].token, deep.token);
  EXPECT_TRUE(ok(table_.covering("alice", "dd")).empty());  // a sibling, not a member
  EXPECT_FALSE(table_.create("alice", {.root = "d/x", .exclusive = true}).ok());
  // A depth-0 lock covers only its root; a deep lock above a locked member conflicts.
  take("alice", "e/x", true);
  EXPECT_TRUE(ok(table_.covering("alice", "e")).empty());
  EXPECT_TRUE(table_.create("alice", {.root = "e", .exclusive = true, .deep = false}).ok());
  take("alice", "g/y/z", false);
  EXPECT_FALSE(table_.create("alice", {.root = "g", .exclusive = true, .deep = true}).ok());
  EXPECT_TRUE(table_.create("alice", {.root = "g", .exclusive = false, .deep = true}).ok());
}

TEST_F(LockTableTest, TreeWritesSeeLocksBeneath) {
  take("alice", "t/a/b", true);
  EXPECT_TRUE(ok(table_.affecting("alice", "t", false)).empty());
  EXPECT_EQ(ok(table_.affecting("alice", "t", true)).size(), 1U);
  ok(table_.remove_tree("alice", "t"));
  EXPECT_TRUE(ok(table_.affecting("alice", "t", true)).empty());
}

TEST_F(LockTableTest, UnlockNeedsATokenCoveringThePath) {
  const Lock deep = take("alice", "c", true, true);
  EXPECT_EQ(table_.unlock("alice", "other", deep.token).error().code, Errc::kNotFound);
  EXPECT_TRUE(table_.unlock("alice", "c/member", deep.token).ok());  // within its reach
  EXPECT_TRUE(ok(table_.covering("alice", "c")).empty());
}

TEST_F(LockTableTest, ExpiryAndRefresh) {
  const Lock lock = take("alice", "x", true);
  now_ += seconds(9);
  ASSERT_EQ(ok(table_.covering("alice", "x")).size(), 1U);
  EXPECT_EQ(ok(table_.covering("alice", "x"))[0].timeout, seconds(1));
  auto refreshed = table_.refresh("alice", "x", lock.token, seconds(30));
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ(refreshed->timeout, seconds(30));
  now_ += seconds(29);
  EXPECT_EQ(ok(table_.covering("alice", "x")).size(), 1U);
  now_ += seconds(1);
  EXPECT_TRUE(ok(table_.covering("alice", "x")).empty());
  EXPECT_EQ(table_.refresh("alice", "x", lock.token, seconds(5)).error().code, Errc::kNotFound);
  take("alice", "x", true);  // the expired lock no longer conflicts
}

TEST_F(LockTableTest, CapPerUserAndSweep) {
  for (int i = 0; i < 5; ++i) {
    take("alice", "s", false);
  }
  auto over = table_.create("alice", {.root = "other", .exclusive = true});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::kTooLarge);
  EXPECT_TRUE(
      table_.create("bob", {.root = "other", .exclusive = true, .timeout = seconds(10)}).ok());
  EXPECT_EQ(table_.users(), 2U);
  now_ += seconds(11);  // every lock expired
  EXPECT_TRUE(table_.create("alice", {.root = "other", .exclusive = true}).ok());
  for (int i = 0; i < 300; ++i) {  // enough calls for a sweep of every user
    static_cast<void>(table_.covering("carol", "x"));
  }
  EXPECT_EQ(table_.users(), 1U);  // bob's expired lock is gone
}

TEST(UnsatisfiedTest, ExclusiveNeedsItsTokenSharedAnyOfRoot) {
  const Lock excl{.token = "t1", .root = "a", .exclusive = true};
  const Lock s1{.token = "s1", .root = "b", .exclusive = false};
  const Lock s2{.token = "s2", .root = "b", .exclusive = false};
  EXPECT_EQ(unsatisfied({excl}, {})->token, "t1");
  EXPECT_FALSE(unsatisfied({excl}, {"t1"}).has_value());
  EXPECT_FALSE(unsatisfied({s1, s2}, {"s2"}).has_value());
  EXPECT_TRUE(unsatisfied({s1, s2, excl}, {"s2"}).has_value());
  EXPECT_TRUE(unsatisfied({s1}, {"t1"}).has_value());
}

TEST(PathWithinTest, Components) {
  EXPECT_TRUE(path_within("a/b", "a"));
  EXPECT_TRUE(path_within("a", "a"));
  EXPECT_TRUE(path_within("a", ""));
  EXPECT_FALSE(path_within("ab", "a"));
  EXPECT_FALSE(path_within("a", "a/b"));
}

// What every implementation shares (the PostgreSQL table matches with
// these too): a lock covers its root, and a deep one its members.
TEST(LockRulesTest, CoversAndOverlaps) {
  const Lock shallow{.root = "a", .exclusive = true, .deep = false};
  const Lock deep{.root = "a", .exclusive = true, .deep = true};
  EXPECT_TRUE(lock_covers(shallow, "a"));
  EXPECT_FALSE(lock_covers(shallow, "a/b"));
  EXPECT_TRUE(lock_covers(deep, "a/b/c"));
  EXPECT_FALSE(lock_covers(deep, "ab"));
  EXPECT_TRUE(locks_overlap(shallow, {.root = "a"}));
  EXPECT_FALSE(locks_overlap(shallow, {.root = "a/b"}));
  EXPECT_TRUE(locks_overlap(deep, {.root = "a/b"}));
  EXPECT_TRUE(locks_overlap(shallow, {.root = "", .deep = true}));
  EXPECT_FALSE(locks_overlap(shallow, {.root = "b", .deep = true}));
}

TEST(LockRulesTest, TokensAreRandomUuidUrns) {
  const std::string a = new_lock_token();
  EXPECT_TRUE(a.starts_with("urn:uuid:"));
  EXPECT_EQ(a.size(), 9U + 36U);
  EXPECT_NE(a, new_lock_token());
}

}  // namespace
}  // namespace sfs::files
