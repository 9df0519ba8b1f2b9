#include "client/local_digests.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

const std::string kDigest = "0123456789abcdef0123456789abcdef";
const std::string kOther = "fedcba9876543210fedcba9876543210";

// A file's stat as fstat gives it, changed (ctime) at second `changed`.
struct stat file_stat(std::uint64_t inode, std::int64_t changed, off_t size = 4096) {
  struct stat st {};
  st.st_dev = 42;
  st.st_ino = inode;
  st.st_size = size;
  st.st_mtim = {changed, 5};
  st.st_ctim = {changed, 7};
  return st;
}

struct timespec at(std::int64_t second) {
  return {second, 0};
}

class LocalDigestsTest : public ::testing::Test {
 protected:
  LocalDigestsTest() : dir_("sfs-local-digests"), file_(dir_.path() / "cache" / "digests") {}
  test::TempDir dir_;
  fs::path file_;
};

TEST_F(LocalDigestsTest, FindsOnlyTheSameFileUnchanged) {
  LocalDigests digests(file_);
  const struct stat st = file_stat(1, 1000);
  digests.remember(st, kDigest, at(2000));
  EXPECT_EQ(digests.find(st), kDigest);
  struct stat changed = st;
  changed.st_ctim.tv_nsec += 1;  // written since: the change time moved
  EXPECT_EQ(digests.find(changed), std::nullopt);
  struct stat touched = st;
  touched.st_mtim.tv_sec -= 100;  // its time set back (touch -d): still not trusted
  EXPECT_EQ(digests.find(touched), std::nullopt);
  struct stat grown = st;
  grown.st_size += 1;
  EXPECT_EQ(digests.find(grown), std::nullopt);
  struct stat elsewhere = st;
  elsewhere.st_dev += 1;
  EXPECT_EQ(digests.find(elsewhere), std::nullopt);
  EXPECT_EQ(digests.find(file_stat(2, 1000)), std::nullopt);
}

// Changed less than a second before its reading began: a write in the same
// clock tick might leave the change time as it was, so it is not kept.
TEST_F(LocalDigestsTest, ForgetsFilesChangedJustBeforeTheyWereRead) {
  LocalDigests digests(file_);
  digests.remember(file_stat(1, 1000), kDigest, at(1000));
  digests.remember(file_stat(2, 1000), kDigest, {1000, 900'000'000});
  digests.remember(file_stat(3, 1000), kDigest, {1001, 7});
  EXPECT_EQ(digests.find(file_stat(1, 1000)), std::nullopt);
  EXPECT_EQ(digests.find(file_stat(2, 1000)), std::nullopt);
  EXPECT_EQ(digests.find(file_stat(3, 1000)), kDigest);  // a whole second before
}

TEST_F(LocalDigestsTest, SavesPrivatelyAndReadsBack) {
  {
    LocalDigests digests(file_);
    digests.remember(file_stat(1, 1000), kDigest, at(2000));
    digests.remember(file_stat(2, -5), kOther, at(2000));  // dated before 1970
    digests.save();
  }
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(file_.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  LocalDigests again(file_);
  EXPECT_EQ(again.find(file_stat(1, 1000)), kDigest);
  EXPECT_EQ(again.find(file_stat(2, -5)), kOther);
}

TEST_F(LocalDigestsTest, ADamagedFileIsNotTrustedAtAll) {
  {
    LocalDigests digests(file_);
    digests.remember(file_stat(1, 1000), kDigest, at(2000));
    digests.save();
  }
  for (const std::string& bad : {std::string("42 2 4096 1000000000005 1000000000007 xyz\n"),
                                 std::string("42 2 4096\n"), std::string("oops\n")}) {
    std::ofstream(file_, std::ios::app) << bad;
    LocalDigests damaged(file_);
    EXPECT_EQ(damaged.find(file_stat(1, 1000)), std::nullopt) << bad;
  }
  std::ofstream(file_) << "not-our-header\n";
  LocalDigests foreign(file_);
  EXPECT_EQ(foreign.find(file_stat(1, 1000)), std::nullopt);
}

TEST_F(LocalDigestsTest, WithoutAFileNothingIsKept) {
  LocalDigests none{fs::path()};
  none.remember(file_stat(1, 1000), kDigest, at(2000));
  EXPECT_EQ(none.find(file_stat(1, 1000)), std::nullopt);
  none.save();
  EXPECT_FALSE(fs::exists(file_));
}

}  // namespace
}  // namespace sfs::client
