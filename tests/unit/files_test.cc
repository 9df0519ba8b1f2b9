#include "storage/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "storage/store.h"
#include "storage/user_tree.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfs-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    auto store = Store::open(base_ / "root");
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_.emplace(std::move(*store));
    auto tree = store_->user("alice");
    ASSERT_TRUE(tree.ok()) << tree.error().message;
    tree_.emplace(std::move(*tree));
    home_ = base_ / "root" / "u" / "alice";
  }
  void TearDown() override {
    tree_.reset();
    store_.reset();
    fs::remove_all(base_);
  }

  UserTree& tree() { return *tree_; }

  static std::string read_path(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static unsigned mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  static void expect_no_temp_files(const fs::path& dir) {
    for (const std::string& name : names_in(dir)) {
      EXPECT_FALSE(name.starts_with(".sfs-")) << "debris: " << name;
    }
  }

  void put_file(std::string_view relative, const std::string& content) {
    auto up = tree().create(relative);
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(up->write(content.data(), content.size()).ok());
    ASSERT_TRUE(up->commit().ok());
  }

  static std::string read_all(const ReadFile& file) {
    std::string data(file.size(), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = file.read_at(data.data() + done, data.size() - done, done);
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) {
        break;
      }
      done += *n;
    }
    data.resize(done);
    return data;
  }

  fs::path base_;
  fs::path home_;
  std::optional<Store> store_;
  std::optional<UserTree> tree_;
};

TEST_F(FilesTest, CommitMakesA0600FileWithExactContent) {
  std::mt19937 rng(42);
  std::string content(3 * 1024 * 1024 + 17, '\0');
  for (char& c : content) {
    c = static_cast<char>(rng());
  }
  auto up = tree().create("data.bin");
  ASSERT_TRUE(up.ok()) << up.error().message;
  // Written in uneven pieces.
  std::size_t done = 0;
  std::size_t piece = 1;
  while (done < content.size()) {
    const std::size_t n = std::min(piece, content.size() - done);
    ASSERT_TRUE(up->write(content.data() + done, n).ok());
    done += n;
    piece = piece * 3 + 1;
  }
  ASSERT_TRUE(up->commit().ok());
  ASSERT_TRUE(fs::is_regular_file(home_ / "data.bin"));
  EXPECT_EQ(mode_of(home_ / "data.bin"), 0600U);
  EXPECT_EQ(fs::file_size(home_ / "data.bin"), content.size());
  EXPECT_TRUE(read_path(home_ / "data.bin") == content);
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"data.bin"}));
}

TEST_F(FilesTest, EmptyUpload) {
  auto up = tree().create("empty");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(fs::file_size(home_ / "empty"), 0U);
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"empty"}));
}

TEST_F(FilesTest, UploadGoesToAHiddenTempFileBesideTheTarget) {
  ASSERT_TRUE(fs::create_directory(home_ / "d"));
  auto up = tree().create("d/x.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("partial", 7).ok());
  EXPECT_TRUE(names_in(home_ / "d").size() == 1);
  const std::string temp = names_in(home_ / "d")[0];
  EXPECT_TRUE(temp.starts_with(".sfs-tmp-")) << temp;
  EXPECT_EQ(mode_of(home_ / "d" / temp), 0600U);
  EXPECT_FALSE(fs::exists(home_ / "d" / "x.txt"));
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"d"}));
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(names_in(home_ / "d"), std::vector<std::string>({"x.txt"}));
  EXPECT_EQ(read_path(home_ / "d" / "x.txt"), "partial");
}

TEST_F(FilesTest, UploadDestroyedWithoutCommitLeavesNothing) {
  {
    auto up = tree().create("never.txt");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("data", 4).ok());
    ASSERT_EQ(names_in(home_).size(), 1U);
  }
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(FilesTest, AbortLeavesNothingAndCommitThenFails) {
  auto up = tree().create("aborted.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("data", 4).ok());
  up->discard();
  EXPECT_TRUE(names_in(home_).empty());
  auto commit = up->commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, Errc::kInternal);
  EXPECT_TRUE(names_in(home_).empty());
  up->discard();  // twice is harmless
}

TEST_F(FilesTest, SecondCommitFails) {
  auto up = tree().create("once.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("one", 3).ok());
  ASSERT_TRUE(up->commit().ok());
  auto again = up->commit();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kInternal);
  up->discard();  // after commit: must not remove anything
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"once.txt"}));
  EXPECT_EQ(read_path(home_ / "once.txt"), "one");
}

TEST_F(FilesTest, PreviousVersionRemainsUntilCommit) {
  put_file("doc.txt", "old version");
  auto up = tree().create("doc.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("new version, longer", 19).ok());
  EXPECT_EQ(read_path(home_ / "doc.txt"), "old version");
  {
    auto read = tree().open_read("doc.txt");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->size(), 11U);
    EXPECT_EQ(read_all(*read), "old version");
  }
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_path(home_ / "doc.txt"), "new version, longer");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"doc.txt"}));
}

TEST_F(FilesTest, AbandonedReplacementKeepsPreviousVersion) {
  put_file("doc.txt", "old version");
  {
    auto up = tree().create("doc.txt");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("half", 4).ok());
  }
  EXPECT_EQ(read_path(home_ / "doc.txt"), "old version");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"doc.txt"}));
}

TEST_F(FilesTest, ConcurrentUploadsLastCommitWins) {
  auto first = tree().create("same.txt");
  auto second = tree().create("same.txt");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(names_in(home_).size(), 2U);  // two distinct temp files
  ASSERT_TRUE(first->write("first", 5).ok());
  ASSERT_TRUE(second->write("second", 6).ok());
  ASSERT_TRUE(second->commit().ok());
  ASSERT_TRUE(first->commit().ok());
  EXPECT_EQ(read_path(home_ / "same.txt"), "first");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"same.txt"}));
}

TEST_F(FilesTest, MovedUploadStillCommits) {
  std::optional<storage::Upload> moved;
  {
    auto up = tree().create("moved.txt");
    ASSERT_TRUE(up.ok());
    moved.emplace(std::move(*up));
    // `up` (moved from) is destroyed here and must not remove the temp file.
  }
  ASSERT_EQ(names_in(home_).size(), 1U);
  ASSERT_TRUE(moved->write("moved", 5).ok());
  ASSERT_TRUE(moved->commit().ok());
  EXPECT_EQ(read_path(home_ / "moved.txt"), "moved");
  moved.reset();
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"moved.txt"}));
}

TEST_F(FilesTest, ReadFileKeepsTheOpenedVersion) {
  put_file("snap.txt", "version one");
  auto read = tree().open_read("snap.txt");
  ASSERT_TRUE(read.ok());
  put_file("snap.txt", "version two!");
  EXPECT_EQ(read->size(), 11U);
  EXPECT_EQ(read_all(*read), "version one");
  auto fresh = tree().open_read("snap.txt");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(read_all(*fresh), "version two!");
  // Deleting the name does not disturb an open reader either.
  ASSERT_TRUE(tree().remove("snap.txt").ok());
  EXPECT_EQ(read_all(*fresh), "version two!");
}

}  // namespace
}  // namespace sfs::storage
