#include "server/auth_reload.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "auth/auth_file.h"
#include "test_util.h"

namespace sfs::server {
namespace {

using Why = LiveSessions::Why;

TEST(DescribeReloadTest, CountsAndNames) {
  auth::UserDb::Changes changes;
  changes.users = 5;
  changes.added = {"dave"};
  changes.removed = {"carol"};
  changes.changed = {"bob"};
  EXPECT_EQ(describe_reload(changes, false, 2),
            "auth file reloaded: 5 users (1 added, 1 removed, 1 changed); ended 2 sessions; "
            "added: dave; removed: carol; changed: bob");
  EXPECT_EQ(describe_reload({1, {}, {}, {}}, true, 1),
            "auth file reloaded (SIGHUP): 1 user (0 added, 0 removed, 0 changed); ended 1 "
            "session");
}

TEST(DescribeReloadTest, ShowsAtMostTenNames) {
  auth::UserDb::Changes changes;
  for (int i = 0; i < 12; ++i) {
    changes.removed.push_back("u" + std::to_string(i));
  }
  EXPECT_EQ(describe_reload(changes, false, 0),
            "auth file reloaded: 0 users (0 added, 12 removed, 0 changed); ended 0 sessions; "
            "removed: u0, u1, u2, u3, u4, u5, u6, u7, u8, u9 and 2 more");
}

// The whole path, on the reload's own thread: a password changed in the
// file ends that user's session, and only hers.
TEST(AuthReloadTest, ReloadNowEndsTheSessionsOfChangedUsers) {
  test::TempDir dir("sfs-auth-reload");
  ASSERT_FALSE(dir.path().empty());
  const auto path = dir.path() / "id_passwd.txt";
  test::write_file(path, "alice:one\nbob:two\n");
  auth::FileUserStore store(path);
  auto snapshot = store.load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  auto users = auth::UserDb::from_entries(snapshot->entries);
  ASSERT_TRUE(users.ok()) << users.error().message;
  LiveSessions sessions;
  std::atomic<int> stops{0};
  auto alice = sessions.add([&](Why) { ++stops; });
  auto bob = sessions.add([&](Why) { ++stops; });
  alice.logged_in("alice");
  bob.logged_in("bob");

  AuthReload reload(*users, store, snapshot->token, sessions);
  reload.start();
  auto file = auth::AuthFile::load(path);
  ASSERT_TRUE(file.ok());
  file->set("alice", "ONE");
  ASSERT_TRUE(file->save().ok());
  reload.reload_now();
  for (int i = 0; i < 1000 && !alice.ended(); ++i) {  // bounded: 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reload.stop();
  EXPECT_EQ(alice.ended(), Why::kPasswordChanged);
  EXPECT_EQ(bob.ended(), std::nullopt);
  EXPECT_EQ(stops, 1);
  EXPECT_TRUE(users->verify("alice", "ONE"));
  reload.stop();  // twice is fine
}

}  // namespace
}  // namespace sfs::server
