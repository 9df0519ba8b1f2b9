#include "storage/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::names_in;
using test::read_file;
using test::write_file;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    root_ = base_ / "root";
  }

  Store open_store() {
    auto store = Store::open(root_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return std::move(*store);
  }

  static bool is_dir(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  // Sets a file's modification time to `seconds_ago` before now.
  static void age(const fs::path& path, std::time_t seconds_ago) {
    const std::time_t then = std::time(nullptr) - seconds_ago;
    const struct timespec times[2] = {{then, 0}, {then, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
  }

  // The one name in `dir` starting with `prefix`, or "".
  static std::string only_name_with(const fs::path& dir, std::string_view prefix) {
    std::vector<std::string> found;
    for (const std::string& name : names_in(dir)) {
      if (name.starts_with(prefix)) {
        found.push_back(name);
      }
    }
    EXPECT_EQ(found.size(), 1U) << prefix;
    return found.size() == 1 ? found[0] : std::string();
  }

  test::TempDir tmp_{"sfs-store"};
  const fs::path base_ = tmp_.path();
  fs::path root_;
};

TEST_F(StoreTest, OpenCreatesRootAndUsersWithMode0700) {
  ASSERT_FALSE(fs::exists(root_));
  auto store = Store::open(root_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE(is_dir(root_));
  ASSERT_TRUE(is_dir(root_ / "u"));
  EXPECT_EQ(mode_of(root_), 0700U);
  EXPECT_EQ(mode_of(root_ / "u"), 0700U);
  // The writability probe leaves nothing behind.
  EXPECT_EQ(names_in(root_), std::vector<std::string>({"u"}));
  EXPECT_TRUE(names_in(root_ / "u").empty());
}

TEST_F(StoreTest, OpenExistingRootKeepsContent) {
  { auto first = open_store(); }
  ASSERT_TRUE(fs::create_directory(root_ / "u" / "alice"));
  write_file(root_ / "u" / "alice" / "keep.txt", "kept");
  auto again = Store::open(root_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(fs::exists(root_ / "u" / "alice" / "keep.txt"));
}

TEST_F(StoreTest, OpenFailsWhenRootIsAFile) {
  write_file(root_, "not a directory");
  auto store = Store::open(root_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::kIo);
  EXPECT_NE(store.error().message.find(root_.string()), std::string::npos) << store.error().message;
}

TEST_F(StoreTest, OpenFailsWhenUsersIsAFile) {
  ASSERT_TRUE(fs::create_directory(root_));
  write_file(root_ / "u", "not a directory");
  auto store = Store::open(root_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::kIo);
}

TEST_F(StoreTest, OpenFailsWhenParentIsMissing) {
  auto store = Store::open(base_ / "missing" / "root");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::kIo);
}

TEST_F(StoreTest, UserCreatesDirectoryWithMode0700) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  ASSERT_TRUE(is_dir(root_ / "u" / "alice"));
  EXPECT_EQ(mode_of(root_ / "u" / "alice"), 0700U);
  // Second use finds the same directory.
  auto again = store.user("alice");
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto bob = store.user("bob");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(names_in(root_ / "u"), std::vector<std::string>({"alice", "bob"}));
}

TEST_F(StoreTest, UserTreeIsTheUsersDirectory) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok());
  auto up = tree->create("hello.txt");
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(up->write("hi", 2).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_TRUE(fs::is_regular_file(root_ / "u" / "alice" / "hello.txt"));
  // Another user does not see it.
  auto bob = store.user("bob");
  ASSERT_TRUE(bob.ok());
  auto read = bob->open_read("hello.txt");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::kNotFound);
}

// How many descriptors this process has open.
std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

TEST_F(StoreTest, TreesOfOneUserShareOneDescriptor) {
  Store store = open_store();
  const std::size_t before = open_descriptors();
  {
    auto first = store.user("alice");
    ASSERT_TRUE(first.ok());
    std::vector<UserTree> more;
    for (int i = 0; i < 10; ++i) {
      auto tree = store.user("alice");
      ASSERT_TRUE(tree.ok());
      more.push_back(std::move(*tree));
    }
    EXPECT_EQ(open_descriptors(), before + 1);
    auto bob = store.user("bob");
    ASSERT_TRUE(bob.ok());
    EXPECT_EQ(open_descriptors(), before + 2);
  }
  EXPECT_EQ(open_descriptors(), before);  // the last tree closes it
}

TEST_F(StoreTest, ARemovedAndRemadeUserDirectoryIsNotShared) {
  Store store = open_store();
  auto old_tree = store.user("alice");  // a session of the old alice goes on
  ASSERT_TRUE(old_tree.ok());
  fs::remove_all(root_ / "u" / "alice");  // sfs-admin user del --purge
  auto tree = store.user("alice");        // the new alice logs in
  ASSERT_TRUE(tree.ok());
  auto up = tree->create("new.txt");
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(up->write("n", 1).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(root_ / "u" / "alice" / "new.txt"), "n");
}

TEST_F(StoreTest, UserRefusesNamesThatAreNotOneComponent) {
  Store store = open_store();
  for (const std::string& name :
       {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
        std::string("/etc"), std::string("../x"), std::string("a/"), std::string("a\0b", 3)}) {
    auto tree = store.user(name);
    ASSERT_FALSE(tree.ok()) << "'" << name << "'";
    EXPECT_EQ(tree.error().code, Errc::kBadPath) << "'" << name << "'";
  }
  // Nothing was created anywhere.
  EXPECT_TRUE(names_in(root_ / "u").empty());
  EXPECT_EQ(names_in(root_), std::vector<std::string>({"u"}));
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"root"}));
}

TEST_F(StoreTest, UserRefusesAPlantedSymlink) {
  Store store = open_store();
  ASSERT_TRUE(fs::create_directory(base_ / "outside"));
  fs::create_directory_symlink(base_ / "outside", root_ / "u" / "mallory");
  auto tree = store.user("mallory");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().code, Errc::kBadPath);
}

TEST_F(StoreTest, RemoveStaleTempsAtEveryDepthOfEachUser) {
  Store store = open_store();
  ASSERT_TRUE(store.user("alice").ok());
  ASSERT_TRUE(store.user("bob").ok());
  ASSERT_TRUE(store.user("carol").ok());
  const fs::path alice = root_ / "u" / "alice";
  const fs::path bob = root_ / "u" / "bob";
  write_file(alice / ".sfs-tmp-0123456789abcdef01234567", "partial");
  write_file(alice / ".sfs-tmp-x", "");
  write_file(alice / "keep.txt", "keep");
  write_file(alice / ".sfs-other", "not a temp");
  write_file(alice / "x.sfs-tmp-1", "not a temp");
  write_file(bob / ".sfs-tmp-y", "partial");
  ASSERT_TRUE(fs::create_directory(bob / "sub"));
  write_file(bob / "sub" / ".sfs-tmp-deep", "below the top");
  write_file(bob / "sub" / "keep.txt", "keep");
  ASSERT_TRUE(fs::create_directories(bob / "sub" / "a" / "b"));
  write_file(bob / "sub" / "a" / "b" / ".sfs-tmp-deeper", "further down");

  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 5U);
  EXPECT_EQ(names_in(alice), std::vector<std::string>({".sfs-other", "keep.txt", "x.sfs-tmp-1"}));
  EXPECT_EQ(names_in(bob), std::vector<std::string>({"sub"}));
  EXPECT_EQ(names_in(bob / "sub"), std::vector<std::string>({"a", "keep.txt"}));
  EXPECT_TRUE(names_in(bob / "sub" / "a" / "b").empty());
  EXPECT_TRUE(names_in(root_ / "u" / "carol").empty());
  // Nothing left to do the second time.
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
}

TEST_F(StoreTest, RemoveStaleTempsOnEmptyStore) {
  Store store = open_store();
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
}

TEST_F(StoreTest, RemoveStaleTempsDoesNotFollowSymlinkedUsers) {
  Store store = open_store();
  ASSERT_TRUE(fs::create_directory(base_ / "outside"));
  write_file(base_ / "outside" / ".sfs-tmp-victim", "must stay");
  fs::create_directory_symlink(base_ / "outside", root_ / "u" / "mallory");
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
  EXPECT_TRUE(fs::exists(base_ / "outside" / ".sfs-tmp-victim"));
}

TEST_F(StoreTest, RemoveStaleTempsKeepsTheTempOfALiveUpload) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok());
  const fs::path alice = root_ / "u" / "alice";
  auto up = tree->create("big.bin");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  const std::vector<std::string> during = names_in(alice);
  ASSERT_EQ(during.size(), 1U);
  ASSERT_TRUE(during[0].starts_with(".sfs-tmp-"));
  // Locked by the running upload: not debris, however short the TTL.
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
  EXPECT_EQ(store.remove_stale_temps(std::chrono::seconds(0)), 0U);
  EXPECT_EQ(names_in(alice), during);
  ASSERT_TRUE(up->write("def", 3).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(names_in(alice), std::vector<std::string>({"big.bin"}));
  EXPECT_EQ(read_file(alice / "big.bin"), "abcdef");
}

TEST_F(StoreTest, RemoveStaleTempsRemovesTheTempOfAKilledServer) {
  Store store = open_store();
  ASSERT_TRUE(store.user("alice").ok());
  const fs::path alice = root_ / "u" / "alice";
  // Left by a server that was killed: nobody holds the lock. Its age does
  // not matter.
  write_file(alice / ".sfs-tmp-0123456789abcdef01234567", "partial");
  write_file(alice / ".sfs-tmp-76543210fedcba9876543210", "old partial");
  age(alice / ".sfs-tmp-76543210fedcba9876543210", 7 * 24 * 3600);
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 2U);
  EXPECT_TRUE(names_in(alice).empty());
}

TEST_F(StoreTest, RemoveStaleTempsKeepsAYoungPartialAndRemovesAnOldOne) {
  Store store = open_store();
  ASSERT_TRUE(store.user("alice").ok());
  const fs::path alice = root_ / "u" / "alice";
  const std::string young = ".sfs-part-00000000000000000000000000000000-10";
  const std::string older = ".sfs-part-11111111111111111111111111111111-10";
  const std::string old = ".sfs-part-22222222222222222222222222222222-10";
  write_file(alice / young, "12345");
  write_file(alice / older, "12345");
  write_file(alice / old, "12345");
  age(alice / older, 1800);  // half the TTL
  age(alice / old, 7200);    // twice the TTL
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(1)), 1U);
  EXPECT_EQ(names_in(alice), std::vector<std::string>({young, older}));
  EXPECT_EQ(read_file(alice / young), "12345");
  // With a shorter TTL the half-aged one goes too.
  EXPECT_EQ(store.remove_stale_temps(std::chrono::minutes(10)), 1U);
  EXPECT_EQ(names_in(alice), std::vector<std::string>({young}));
  // A TTL of zero keeps nothing that is not in use.
  EXPECT_EQ(store.remove_stale_temps(std::chrono::seconds(0)), 1U);
  EXPECT_TRUE(names_in(alice).empty());
}

TEST_F(StoreTest, RemoveStaleTempsKeepsTheLockedPartialOfALiveUpload) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok());
  const fs::path alice = root_ / "u" / "alice";
  {
    auto up = tree->create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->resumable());
    ASSERT_TRUE(up->write("hello", 5).ok());
    const std::string partial = only_name_with(alice, ".sfs-part-");
    ASSERT_FALSE(partial.empty());
    age(alice / partial, 7200);
    // Old, but in use right now.
    EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(1)), 0U);
    EXPECT_EQ(names_in(alice), std::vector<std::string>({partial}));
  }
  // The upload is gone (a cut connection): its partial waits for the TTL.
  const std::string partial = only_name_with(alice, ".sfs-part-");
  ASSERT_FALSE(partial.empty());
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
  EXPECT_EQ(read_file(alice / partial), "hello");
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(1)), 1U);
  EXPECT_TRUE(names_in(alice).empty());
  auto again = tree->create("big.bin", 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->held(), 0U);
}

TEST_F(StoreTest, RemoveStaleTempsLeavesAYoungPartialResumable) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok());
  {
    auto up = tree->create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("hello", 5).ok());
  }
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 0U);
  auto up = tree->create("big.bin", 10);
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(up->resumable());
  EXPECT_EQ(up->held(), 5U);
}

TEST_F(StoreTest, RemoveStaleTempsCountsOnlyWhatItRemoved) {
  Store store = open_store();
  ASSERT_TRUE(store.user("alice").ok());
  ASSERT_TRUE(store.user("bob").ok());
  const fs::path alice = root_ / "u" / "alice";
  const fs::path bob = root_ / "u" / "bob";
  write_file(alice / ".sfs-tmp-a", "x");
  write_file(alice / ".sfs-part-a-1", "x");
  age(alice / ".sfs-part-a-1", 7200);
  write_file(bob / ".sfs-part-b-1", "x");
  age(bob / ".sfs-part-b-1", 7200);
  write_file(bob / ".sfs-part-c-1", "x");  // young
  // Names that only look similar are not temp files.
  write_file(alice / ".sfs-partial", "x");
  age(alice / ".sfs-partial", 7200);
  write_file(alice / "x.sfs-part-1", "x");
  age(alice / "x.sfs-part-1", 7200);
  write_file(alice / "sfs-part-1", "x");
  age(alice / "sfs-part-1", 7200);
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(1)), 3U);
  EXPECT_EQ(names_in(alice),
            std::vector<std::string>({".sfs-partial", "sfs-part-1", "x.sfs-part-1"}));
  EXPECT_EQ(names_in(bob), std::vector<std::string>({".sfs-part-c-1"}));
}

}  // namespace
}  // namespace sfs::storage
