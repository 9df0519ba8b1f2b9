#include "server/live_sessions.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sfs::server {
namespace {

using Why = LiveSessions::Why;

// Records the Stop calls each session got.
struct Calls {
  std::map<int, std::vector<Why>> by_session;
  LiveSessions::Stop stop_for(int session) {
    return [this, session](Why why) { by_session[session].push_back(why); };
  }
};

TEST(LiveSessionsTest, EndsTheSessionsOfTheNamedUsersOnly) {
  LiveSessions sessions;
  Calls calls;
  auto alice1 = sessions.add(calls.stop_for(1));
  auto alice2 = sessions.add(calls.stop_for(2));
  auto bob = sessions.add(calls.stop_for(3));
  auto anonymous = sessions.add(calls.stop_for(4));  // not logged in yet
  alice1.logged_in("alice");
  alice2.logged_in("alice");
  bob.logged_in("bob");
  EXPECT_EQ(sessions.size(), 4U);

  EXPECT_EQ(sessions.end_sessions_of({"carol", "alice"}, Why::kPasswordChanged), 2U);
  EXPECT_EQ(calls.by_session[1], std::vector<Why>{Why::kPasswordChanged});
  EXPECT_EQ(calls.by_session[2], std::vector<Why>{Why::kPasswordChanged});
  EXPECT_TRUE(calls.by_session[3].empty());
  EXPECT_TRUE(calls.by_session[4].empty());
  EXPECT_EQ(alice1.ended(), Why::kPasswordChanged);
  EXPECT_EQ(alice2.ended(), Why::kPasswordChanged);
  EXPECT_EQ(bob.ended(), std::nullopt);
  EXPECT_EQ(anonymous.ended(), std::nullopt);

  // A session is ended once; the first reason stays.
  EXPECT_EQ(sessions.end_sessions_of({"alice"}, Why::kAccountDeleted), 0U);
  EXPECT_EQ(alice1.ended(), Why::kPasswordChanged);
  EXPECT_EQ(sessions.end_sessions_of({}, Why::kAccountDeleted), 0U);
  EXPECT_EQ(sessions.end_sessions_of({"bob"}, Why::kAccountDeleted), 1U);
  EXPECT_EQ(bob.ended(), Why::kAccountDeleted);
  EXPECT_EQ(calls.by_session[3], std::vector<Why>{Why::kAccountDeleted});
}

TEST(LiveSessionsTest, NamesMatchExactly) {
  LiveSessions sessions;
  Calls calls;
  auto entry = sessions.add(calls.stop_for(1));
  entry.logged_in("alice");
  EXPECT_EQ(sessions.end_sessions_of({"Alice", "alic", "alice2", ""}, Why::kAccountDeleted), 0U);
  EXPECT_EQ(entry.ended(), std::nullopt);
}

TEST(LiveSessionsTest, DrainingStopsEveryoneAndEndsNoOne) {
  LiveSessions sessions;
  Calls calls;
  auto a = sessions.add(calls.stop_for(1));
  auto b = sessions.add(calls.stop_for(2));
  a.logged_in("alice");
  sessions.stop_all(Why::kDrain);
  EXPECT_EQ(calls.by_session[1], std::vector<Why>{Why::kDrain});
  EXPECT_EQ(calls.by_session[2], std::vector<Why>{Why::kDrain});
  EXPECT_EQ(a.ended(), std::nullopt);
}

TEST(LiveSessionsTest, AnEntryLeavesWithItsSession) {
  LiveSessions sessions;
  Calls calls;
  {
    auto a = sessions.add(calls.stop_for(1));
    a.logged_in("alice");
    auto moved = std::move(a);
    EXPECT_EQ(sessions.size(), 1U);
    EXPECT_EQ(sessions.end_sessions_of({"alice"}, Why::kAccountDeleted), 1U);
    EXPECT_EQ(moved.ended(), Why::kAccountDeleted);
  }
  EXPECT_EQ(sessions.size(), 0U);
  EXPECT_EQ(sessions.end_sessions_of({"alice"}, Why::kAccountDeleted), 0U);
}

TEST(LiveSessionsTest, Messages) {
  EXPECT_EQ(LiveSessions::message(Why::kAccountDeleted), "session ended: the account was deleted");
  EXPECT_EQ(LiveSessions::message(Why::kPasswordChanged),
            "session ended: the password was changed; log in again");
  EXPECT_EQ(LiveSessions::reason(Why::kPasswordChanged), "the password was changed");
}

}  // namespace
}  // namespace sfs::server
