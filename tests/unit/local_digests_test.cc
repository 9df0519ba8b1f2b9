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
  LocalDigestsTest() : dir_("sfs-local-digests"), cache_(dir_.path() / "cache" / "digests.d") {}
  // The file that holds what is remembered of inode `inode`.
  fs::path file_of(std::uint64_t inode) const { return cache_ / LocalDigests::shard_name(inode); }
  test::TempDir dir_;
  fs::path cache_;
};

TEST_F(LocalDigestsTest, FindsOnlyTheSameFileUnchanged) {
  LocalDigests digests(cache_);
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
  LocalDigests digests(cache_);
  digests.remember(file_stat(1, 1000), kDigest, at(1000));
  digests.remember(file_stat(2, 1000), kDigest, {1000, 900'000'000});
  digests.remember(file_stat(3, 1000), kDigest, {1001, 7});
  EXPECT_EQ(digests.find(file_stat(1, 1000)), std::nullopt);
  EXPECT_EQ(digests.find(file_stat(2, 1000)), std::nullopt);
  EXPECT_EQ(digests.find(file_stat(3, 1000)), kDigest);  // a whole second before
}

TEST_F(LocalDigestsTest, SavesPrivatelyAndReadsBack) {
  {
    LocalDigests digests(cache_);
    digests.remember(file_stat(1, 1000), kDigest, at(2000));
    digests.remember(file_stat(2, -5), kOther, at(2000));  // dated before 1970
    digests.save();
  }
  struct stat st {};
  for (const std::uint64_t inode : {1, 2}) {
    ASSERT_EQ(::stat(file_of(inode).c_str(), &st), 0) << file_of(inode);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
  }
  EXPECT_NE(file_of(1), file_of(2));
  ASSERT_EQ(::stat(cache_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U);
  LocalDigests again(cache_);
  EXPECT_EQ(again.find(file_stat(1, 1000)), kDigest);
  EXPECT_EQ(again.find(file_stat(2, -5)), kOther);
}

// A command rewrites only the parts it remembered something in: what one
// `put` costs does not grow with all the files remembered.
TEST_F(LocalDigestsTest, ASaveRewritesOnlyThePartsRememberedIn) {
  {
    LocalDigests digests(cache_);
    digests.remember(file_stat(1, 1000), kDigest, at(2000));
    digests.remember(file_stat(2, 1000), kDigest, at(2000));
    digests.save();
  }
  struct stat before {};
  ASSERT_EQ(::stat(file_of(1).c_str(), &before), 0);
  struct stat replaced_before {};
  ASSERT_EQ(::stat(file_of(2).c_str(), &replaced_before), 0);
  LocalDigests digests(cache_);
  digests.remember(file_stat(2 + LocalDigests::kShards, 1000), kOther, at(2000));  // 2's part
  digests.save();
  struct stat after {};
  ASSERT_EQ(::stat(file_of(1).c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);  // not written again
  ASSERT_EQ(::stat(file_of(2).c_str(), &after), 0);
  EXPECT_NE(after.st_ino, replaced_before.st_ino);  // replaced, with both of its files
  LocalDigests again(cache_);
  EXPECT_EQ(again.find(file_stat(2, 1000)), kDigest);
  EXPECT_EQ(again.find(file_stat(2 + LocalDigests::kShards, 1000)), kOther);
  EXPECT_EQ(again.find(file_stat(1, 1000)), kDigest);
}

// Full, a part forgets one of its files for each new one: it keeps
// learning (stale entries of deleted files must not freeze it).
TEST_F(LocalDigestsTest, AFullPartMakesRoomForNewFiles) {
  constexpr std::size_t kPerPart = LocalDigests::kMaxEntries / LocalDigests::kShards;
  LocalDigests digests(cache_);
  for (std::uint64_t i = 0; i <= kPerPart; ++i) {  // one more than fits, all in part 00
    digests.remember(file_stat(i * LocalDigests::kShards, 1000), kDigest, at(2000));
  }
  digests.save();
  LocalDigests again(cache_);
  std::size_t found = 0;
  for (std::uint64_t i = 0; i <= kPerPart; ++i) {
    found += again.find(file_stat(i * LocalDigests::kShards, 1000)).has_value() ? 1 : 0;
  }
  EXPECT_EQ(found, kPerPart);
  EXPECT_EQ(again.find(file_stat(kPerPart * LocalDigests::kShards, 1000)), kDigest);  // the last
}

TEST_F(LocalDigestsTest, ADamagedPartIsNotTrustedAtAll) {
  {
    LocalDigests digests(cache_);
    digests.remember(file_stat(1, 1000), kDigest, at(2000));
    digests.remember(file_stat(2, 1000), kDigest, at(2000));
    digests.save();
  }
  for (const std::string& bad :
       {std::string("42 257 4096 1000000000005 1000000000007 xyz\n"), std::string("42 257 4096\n"),
        std::string("oops\n"), std::string("42 257 4096 1000000000005 1000000000007 0123")}) {
    std::ofstream(file_of(1), std::ios::app) << bad;
    LocalDigests damaged(cache_);
    EXPECT_EQ(damaged.find(file_stat(1, 1000)), std::nullopt) << bad;
    EXPECT_EQ(damaged.find(file_stat(2, 1000)), kDigest) << bad;  // the other parts stand
  }
  std::ofstream(file_of(1)) << "not-our-header\n";
  LocalDigests foreign(cache_);
  EXPECT_EQ(foreign.find(file_stat(1, 1000)), std::nullopt);
  std::ofstream(file_of(1)).close();  // empty, as a crash may leave it
  LocalDigests emptied(cache_);
  EXPECT_EQ(emptied.find(file_stat(1, 1000)), std::nullopt);
}

TEST_F(LocalDigestsTest, TheFirstSaveRemovesTheOlderSingleFile) {
  const fs::path older = dir_.path() / "cache" / "digests";
  fs::create_directories(older.parent_path());
  std::ofstream(older) << "sfs-local-digests 1\n";
  LocalDigests digests(cache_, older);
  EXPECT_EQ(digests.find(file_stat(1, 1000)), std::nullopt);
  digests.save();  // nothing remembered: nothing written
  EXPECT_TRUE(fs::exists(older));
  digests.remember(file_stat(1, 1000), kDigest, at(2000));
  digests.save();
  EXPECT_FALSE(fs::exists(older));
  EXPECT_TRUE(fs::exists(file_of(1)));
}

TEST_F(LocalDigestsTest, WithoutAFileNothingIsKept) {
  LocalDigests none{fs::path()};
  none.remember(file_stat(1, 1000), kDigest, at(2000));
  EXPECT_EQ(none.find(file_stat(1, 1000)), std::nullopt);
  none.save();
  EXPECT_FALSE(fs::exists(cache_));
}

}  // namespace
}  // namespace sfs::client
