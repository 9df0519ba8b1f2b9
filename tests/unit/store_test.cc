#include "storage/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfs-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ / "root";
  }
  void TearDown() override { fs::remove_all(base_); }

  Store open_store() {
    auto store = Store::open(root_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return std::move(*store);
  }

  static unsigned mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  static bool is_dir(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  static void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
    ASSERT_TRUE(out.good()) << path;
  }

  static std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path base_;
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

TEST_F(StoreTest, RemoveStaleTempsAtTopOfEachUser) {
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
  write_file(bob / "sub" / ".sfs-tmp-deep", "not at the top");

  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 3U);
  EXPECT_EQ(names_in(alice), std::vector<std::string>({".sfs-other", "keep.txt", "x.sfs-tmp-1"}));
  EXPECT_EQ(names_in(bob), std::vector<std::string>({"sub"}));
  EXPECT_EQ(names_in(bob / "sub"), std::vector<std::string>({".sfs-tmp-deep"}));
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

TEST_F(StoreTest, RemoveStaleTempsRemovesAnAbandonedUpload) {
  Store store = open_store();
  auto tree = store.user("alice");
  ASSERT_TRUE(tree.ok());
  auto up = tree->create("big.bin");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  // As if the server had been killed here: the temp file is on disk.
  EXPECT_EQ(names_in(root_ / "u" / "alice").size(), 1U);
  EXPECT_EQ(store.remove_stale_temps(std::chrono::hours(24)), 1U);
  EXPECT_TRUE(names_in(root_ / "u" / "alice").empty());
}

}  // namespace
}  // namespace sfs::storage
