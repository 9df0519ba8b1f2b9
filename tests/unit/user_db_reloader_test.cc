#include "auth/user_db_reloader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "auth/auth_file.h"
#include "test_util.h"

namespace sfs::auth {
namespace {

class UserDbReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    file_ = dir_.path() / "id_passwd.txt";
    replace("alice:one\nbob:two\n");
    store_ = std::make_unique<FileUserStore>(file_);
    auto snapshot = store_->load();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
    auto db = UserDb::from_entries(snapshot->entries);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::make_unique<UserDb>(std::move(*db));
    reloader_ = std::make_unique<UserDbReloader>(*db_, *store_, snapshot->token);
  }

  // As sfs-admin writes: a new file renamed over the old one.
  void replace(const std::string& text) {
    auto file = AuthFile::parse(text, "test", file_);
    ASSERT_TRUE(file.ok()) << file.error().message;
    ASSERT_TRUE(file->save().ok());
  }

  test::TempDir dir_{"sfs-reloader"};
  std::filesystem::path file_;
  std::unique_ptr<FileUserStore> store_;
  std::unique_ptr<UserDb> db_;
  std::unique_ptr<UserDbReloader> reloader_;
};

TEST_F(UserDbReloaderTest, AnUnchangedFileIsNotReadAgain) {
  EXPECT_FALSE(reloader_->check(false).has_value());
  EXPECT_FALSE(reloader_->check(false).has_value());
}

TEST_F(UserDbReloaderTest, SeesAFileReplacedByRename) {
  replace("alice:one\nbob:TWO\ncarol:three\n");
  auto done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->ok()) << done->error().message;
  EXPECT_EQ((*done)->users, 3U);
  EXPECT_EQ((*done)->added, std::vector<std::string>{"carol"});
  EXPECT_EQ((*done)->changed, std::vector<std::string>{"bob"});
  EXPECT_TRUE(db_->verify("bob", "TWO"));
  EXPECT_FALSE(reloader_->check(false).has_value());  // once
}

TEST_F(UserDbReloaderTest, SeesAFileWrittenInPlace) {
  test::write_file(file_, "alice:one\n");  // another size, same inode
  auto done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->ok()) << done->error().message;
  EXPECT_EQ((*done)->removed, std::vector<std::string>{"bob"});
}

TEST_F(UserDbReloaderTest, ForcedReloadsAnUnchangedFile) {
  auto done = reloader_->check(true);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->ok()) << done->error().message;
  EXPECT_EQ((*done)->users, 2U);
  EXPECT_TRUE((*done)->added.empty() && (*done)->removed.empty() && (*done)->changed.empty());
}

TEST_F(UserDbReloaderTest, ABadFileKeepsTheUsersAndFailsOnce) {
  test::write_file(file_, "alice:one\nno colon here\n");
  auto done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_FALSE(done->ok());
  EXPECT_EQ(done->error().code, Errc::kBadRequest);
  EXPECT_EQ(done->error().message.find(file_.string() + ":2: "), 0U) << done->error().message;
  EXPECT_TRUE(db_->verify("bob", "two"));
  EXPECT_FALSE(reloader_->check(false).has_value());  // not every check again
  auto forced = reloader_->check(true);               // but when asked
  ASSERT_TRUE(forced.has_value());
  EXPECT_FALSE(forced->ok());
  replace("alice:one\n");
  done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->ok()) << done->error().message;
  EXPECT_EQ((*done)->removed, std::vector<std::string>{"bob"});
}

TEST_F(UserDbReloaderTest, AMissingFileKeepsTheUsers) {
  std::filesystem::remove(file_);
  auto done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_FALSE(done->ok());
  EXPECT_EQ(done->error().code, Errc::kNotFound);
  EXPECT_EQ(db_->size(), 2U);
  EXPECT_TRUE(db_->verify("alice", "one"));
  EXPECT_FALSE(reloader_->check(false).has_value());
  replace("alice:one\nbob:two\n");
  done = reloader_->check(false);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->ok());
}

// A store that cannot even say whether it changed (a database that is
// down): its error is reported once, not at every check, and a forced
// reload reports it again; once it answers, the reload goes ahead.
class UnreachableStore final : public UserStore {
 public:
  bool down = true;
  std::string token = "1";
  std::vector<Entry> entries{{"alice", "one"}};

  std::string name() const override { return "test store"; }
  std::string_view kind() const override { return "user database"; }
  std::chrono::milliseconds check_interval() const override { return {}; }
  Result<Snapshot> load() override {
    if (down) {
      return make_error(Errc::kIo, "down");
    }
    return Snapshot{entries, token};
  }
  Result<std::string> change_token() override {
    if (down) {
      return make_error(Errc::kIo, "down");
    }
    return token;
  }
  Result<void> add(const Entry&) override { return make_error(Errc::kIo, "read only"); }
  Result<void> set_secret(const std::string&, const std::string&) override {
    return make_error(Errc::kIo, "read only");
  }
  Result<void> remove(const std::string&) override { return make_error(Errc::kIo, "read only"); }
  Result<void> replace_secret(const std::string&, const std::string&, const std::string&) override {
    return make_error(Errc::kIo, "read only");
  }
  Result<std::size_t> migrate(
      const std::function<Result<std::string>(std::string_view)>&) override {
    return make_error(Errc::kIo, "read only");
  }
};

TEST(UserDbReloaderStoreTest, AStoreThatIsDownFailsOnceUntilItAnswers) {
  UnreachableStore store;
  auto db = UserDb::from_entries(store.entries);
  ASSERT_TRUE(db.ok());
  UserDbReloader reloader(*db, store, "1");
  auto first = reloader.check(false);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->ok());
  EXPECT_FALSE(reloader.check(false).has_value());  // not every check again
  auto forced = reloader.check(true);
  ASSERT_TRUE(forced.has_value());
  EXPECT_FALSE(forced->ok());
  EXPECT_TRUE(db->verify("alice", "one"));  // kept meanwhile
  store.down = false;
  EXPECT_FALSE(reloader.check(false).has_value());  // back, and unchanged
  store.token = "2";
  store.entries = {{"bob", "two"}};
  auto done = reloader.check(false);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->ok());
  EXPECT_EQ((*done)->removed, std::vector<std::string>{"alice"});
  EXPECT_TRUE(db->verify("bob", "two"));
}

TEST(FileStampTest, NamesWhatChanged) {
  test::TempDir dir("sfs-stamp");
  const auto file = dir.path() / "f";
  EXPECT_EQ(FileStamp::of(file).error, ENOENT);
  test::write_file(file, "a");
  const FileStamp first = FileStamp::of(file);
  EXPECT_EQ(first.error, 0);
  EXPECT_EQ(first.size, 1);
  EXPECT_EQ(FileStamp::of(file), first);
  test::write_file(file, "ab");
  EXPECT_NE(FileStamp::of(file), first);
}

}  // namespace
}  // namespace sfs::auth
