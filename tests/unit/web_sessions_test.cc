#include "auth/web_sessions.h"

#include <gtest/gtest.h>

#include <set>

namespace sfs::auth {
namespace {

// The value of a call that cannot fail (the table is in memory).
template <typename T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok());
  return std::move(*result);
}

using std::chrono::seconds;

class WebSessionsTest : public ::testing::Test {
 protected:
  MemoryWebSessionTable::Clock::time_point now_{};
  MemoryWebSessionTable table_{
      {.idle = seconds(100), .lifetime = seconds(1000), .max_sessions = 6, .max_per_user = 3},
      [this] { return now_; }};

  NewWebSession make(std::string_view user) {
    auto made = table_.create(user, 7);
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
    return made ? *made : NewWebSession{};
  }
};

TEST_F(WebSessionsTest, IdsAndTokensAre256RandomBitsInHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    const NewWebSession s = make("alice");
    for (const std::string& value : {s.id, s.session.csrf}) {
      EXPECT_EQ(value.size(), 64U);
      EXPECT_EQ(value.find_first_not_of("0123456789abcdef"), std::string::npos) << value;
      seen.insert(value);
    }
  }
  EXPECT_EQ(seen.size(), 6U);
}

TEST_F(WebSessionsTest, FindsTheSessionOfItsIdOnly) {
  const NewWebSession s = make("alice");
  const auto found = ok(table_.find(s.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "alice");
  EXPECT_EQ(found->version, 7U);
  EXPECT_EQ(found->csrf, s.session.csrf);
  EXPECT_FALSE(ok(table_.find(s.session.csrf)));  // the token is no id
  EXPECT_FALSE(ok(table_.find("")));
  std::string other = s.id;
  other.back() = other.back() == '0' ? '1' : '0';
  EXPECT_FALSE(ok(table_.find(other)));
}

TEST_F(WebSessionsTest, IdleSessionsEndButUseKeepsThemAlive) {
  const NewWebSession s = make("alice");
  now_ += seconds(90);
  EXPECT_TRUE(ok(table_.find(s.id)));  // used: the idle time restarts
  now_ += seconds(90);
  EXPECT_TRUE(ok(table_.find(s.id)));
  now_ += seconds(100);
  EXPECT_FALSE(ok(table_.find(s.id)));
  EXPECT_EQ(table_.size(), 0U);  // forgotten
}

TEST_F(WebSessionsTest, TheLifetimeEndsASessionInUse) {
  const NewWebSession s = make("alice");
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(90);
    const bool alive = static_cast<bool>(ok(table_.find(s.id)));
    EXPECT_EQ(alive, (i + 1) * 90 < 1000) << i;
  }
}

TEST_F(WebSessionsTest, LogoutEndsOneSession) {
  const NewWebSession a = make("alice");
  const NewWebSession b = make("alice");
  EXPECT_TRUE(ok(table_.end(a.id)));
  EXPECT_FALSE(ok(table_.end(a.id)));
  EXPECT_FALSE(ok(table_.find(a.id)));
  EXPECT_TRUE(ok(table_.find(b.id)));
}

TEST_F(WebSessionsTest, EndUserEndsAllOfTheUsersSessionsOnly) {
  const NewWebSession a = make("alice");
  const NewWebSession b = make("alice");
  const NewWebSession c = make("bob");
  EXPECT_EQ(ok(table_.end_user("alice")), 2U);
  EXPECT_FALSE(ok(table_.find(a.id)));
  EXPECT_FALSE(ok(table_.find(b.id)));
  EXPECT_TRUE(ok(table_.find(c.id)));
  EXPECT_EQ(ok(table_.end_user("alice")), 0U);
}

TEST_F(WebSessionsTest, AUsersOldestSessionGivesWayPastTheirLimit) {
  const NewWebSession first = make("alice");
  make("alice");
  make("alice");
  const NewWebSession fourth = make("alice");
  EXPECT_FALSE(ok(table_.find(first.id)));
  EXPECT_TRUE(ok(table_.find(fourth.id)));
  EXPECT_EQ(table_.size(), 3U);
}

TEST_F(WebSessionsTest, AFullTableRefusesUntilSessionsExpire) {
  for (const char* user : {"a", "b", "c", "d", "e", "f"}) {
    make(user);
  }
  auto refused = table_.create("g", 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kTooLarge);
  now_ += seconds(100);  // all idle past the limit: swept on the next create
  EXPECT_TRUE(table_.create("g", 1).ok());
  EXPECT_EQ(table_.size(), 1U);
}

// What a table (memory or PostgreSQL) keeps instead of the cookie: a
// digest that names it and cannot be used as it.
TEST(WebSessionKeyTest, TheKeyIsADigestOfTheIdNotTheId) {
  const NewWebSession made = new_web_session("alice", 7);
  EXPECT_EQ(made.id.size(), 64U);
  EXPECT_EQ(made.session.csrf.size(), 64U);
  EXPECT_NE(made.id, made.session.csrf);
  EXPECT_EQ(made.session.user, "alice");
  EXPECT_EQ(made.session.version, 7U);
  const std::string key = web_session_key(made.id);
  EXPECT_EQ(key.size(), 64U);  // BLAKE2b-256 in hex
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(key, made.id);
  EXPECT_EQ(key, web_session_key(made.id));
  EXPECT_NE(key, web_session_key(made.session.csrf));
}

}  // namespace
}  // namespace sfs::auth
