#include "base/atomic_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "base/unique_fd.h"
#include "test_util.h"

namespace sfs {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  // The names in the directory, so a test can see no temporary was left.
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }

  test::TempDir tmp_{"sfs-atomic"};
  const fs::path dir_ = tmp_.path();
  const fs::path target_ = dir_ / "file.txt";
};

constexpr Durability kBoth[] = {Durability::kDurable, Durability::kCache};

TEST_F(AtomicFileTest, CreatesWithTheModeAndNoTemporaryLeft) {
  for (const Durability durability : kBoth) {
    fs::remove(target_);
    ASSERT_TRUE(replace_file(target_, "hello\n", 0600, Errc::kIo, durability));
    EXPECT_EQ(test::read_file(target_), "hello\n");
    struct stat st {};
    ASSERT_EQ(::stat(target_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(entries(), 1U);
  }
}

TEST_F(AtomicFileTest, ReplacesTheOldContentWhole) {
  for (const Durability durability : kBoth) {
    ASSERT_TRUE(replace_file(target_, std::string(100000, 'a'), 0600, Errc::kIo, durability));
    ASSERT_TRUE(replace_file(target_, "short", 0600, Errc::kIo, durability));
    EXPECT_EQ(test::read_file(target_), "short");
    EXPECT_EQ(entries(), 1U);
  }
}

TEST_F(AtomicFileTest, EmptyContentIsAnEmptyFile) {
  ASSERT_TRUE(replace_file(target_, "", 0600, Errc::kIo));
  EXPECT_EQ(test::read_file(target_), "");
}

TEST_F(AtomicFileTest, MissingDirectoryFailsWithTheGivenClass) {
  const fs::path nowhere = dir_ / "no" / "file.txt";
  auto result = replace_file(nowhere, "x", 0600, Errc::kLocal);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kLocal);
  EXPECT_EQ(result.error().message.rfind("cannot create " + nowhere.string() + ".tmp-", 0), 0U)
      << result.error().message;
  EXPECT_NE(result.error().message.find("No such file or directory"), std::string::npos);
}

TEST_F(AtomicFileTest, FailedRenameKeepsTheTargetAndRemovesTheTemporary) {
  // A directory in the target's place: rename(2) of a file over it fails.
  fs::create_directory(target_);
  for (const Durability durability : kBoth) {
    auto result = replace_file(target_, "x", 0600, Errc::kIo, durability);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.rfind("cannot write " + target_.string() + ": ", 0), 0U)
        << result.error().message;
    EXPECT_TRUE(fs::is_directory(target_));
    EXPECT_EQ(entries(), 1U);
  }
}

TEST_F(AtomicFileTest, CommitReplacementMovesAWrittenFile) {
  const fs::path partial = dir_ / ".file.txt.part";
  UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::write(fd.get(), "data", 4), 4);
  ASSERT_TRUE(commit_replacement(fd.get(), partial, target_, Errc::kLocal));
  EXPECT_EQ(test::read_file(target_), "data");
  EXPECT_FALSE(fs::exists(partial));
}

TEST_F(AtomicFileTest, CommitReplacementLeavesTheTemporaryOnFailure) {
  const fs::path partial = dir_ / ".file.txt.part";
  UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid());
  fs::create_directory(target_);
  auto result = commit_replacement(fd.get(), partial, target_, Errc::kLocal);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kLocal);
  EXPECT_TRUE(fs::exists(partial));  // the caller decides (a download keeps it for resume)
}

TEST_F(AtomicFileTest, CommitReplacementAtSeesTheOldTargetJustBeforeTheRename) {
  ASSERT_TRUE(replace_file(target_, "old content", 0600, Errc::kIo));
  const UniqueFd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  UniqueFd fd(::openat(dir.get(), ".tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::write(fd.get(), "new", 3), 3);
  std::string seen;
  auto before = [&] { seen = test::read_file(target_); };
  auto error_of = [](int err) { return make_error(Errc::kIo, "failed " + std::to_string(err)); };
  ASSERT_TRUE(commit_replacement_at(fd.get(), dir.get(), ".tmp", "file.txt", error_of, before));
  EXPECT_EQ(seen, "old content");
  EXPECT_EQ(test::read_file(target_), "new");
  EXPECT_EQ(entries(), 1U);
}

TEST_F(AtomicFileTest, CommitReplacementAtFailsThroughTheCallersErrorAndKeepsTheTemporary) {
  const UniqueFd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  UniqueFd fd(::openat(dir.get(), ".tmp", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid());
  fs::create_directory(target_);  // rename(2) of a file over a directory fails
  int seen_errno = 0;
  auto error_of = [&](int err) {
    seen_errno = err;
    return make_error(Errc::kBadPath, "refused");
  };
  auto result = commit_replacement_at(fd.get(), dir.get(), ".tmp", "file.txt", error_of);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kBadPath);
  EXPECT_EQ(seen_errno, EISDIR);
  EXPECT_TRUE(fs::exists(dir_ / ".tmp"));
  EXPECT_TRUE(fs::is_directory(target_));
}

}  // namespace
}  // namespace sfs
