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
    auto db = UserDb::load(file_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::make_unique<UserDb>(std::move(*db));
    reloader_ = std::make_unique<UserDbReloader>(*db_, file_);
  }

  // As sfs-admin writes: a new file renamed over the old one.
  void replace(const std::string& text) {
    auto file = AuthFile::parse(text, "test", file_);
    ASSERT_TRUE(file.ok()) << file.error().message;
    ASSERT_TRUE(file->save().ok());
  }

  test::TempDir dir_{"sfs-reloader"};
  std::filesystem::path file_;
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
