// UserTree's directory operations (storage/folders.cc) and nested paths:
// mkdir (-p), rmdir, move, stat, list of a subdirectory, and the symlink
// and ".." tricks against each of them.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "storage/store.h"
#include "storage/user_tree.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;
using test::read_file;

constexpr std::size_t kMaxPath = 4096;

class FoldersTest : public test::AliceTreeTest {
 protected:
  FoldersTest() : AliceTreeTest("sfs-folders", true) {}

  std::vector<std::string> listed(std::string_view dir) {
    std::vector<std::string> names;
    auto entries = tree().list(dir);
    EXPECT_TRUE(entries.ok()) << (entries.ok() ? "" : entries.error().message);
    if (entries) {
      for (const DirEntry& e : *entries) {
        names.push_back(e.name + (e.is_dir ? "/" : ""));
      }
    }
    return names;
  }
  static void expect_code(const Result<void>& r, Errc code) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
  }
  template <typename T>
  static void expect_code(const Result<T>& r, Errc code) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
  }
};

TEST_F(FoldersTest, MakeDirAndNestedFiles) {
  ASSERT_TRUE(tree().make_dir("docs", false).ok());
  expect_code(tree().make_dir("docs", false), Errc::kExists);
  expect_code(tree().make_dir("a/b", false), Errc::kNotFound);
  ASSERT_TRUE(tree().make_dir("docs/2026", false).ok());
  EXPECT_EQ(fs::status(home_ / "docs" / "2026").permissions() & fs::perms::all,
            fs::perms::owner_all);
  ASSERT_TRUE(put_file("docs/2026/a b.txt", "nested").ok());
  EXPECT_EQ(read_file(home_ / "docs" / "2026" / "a b.txt"), "nested");
  EXPECT_EQ(listed("docs"), std::vector<std::string>({"2026/"}));
  EXPECT_EQ(listed("docs/2026"), std::vector<std::string>({"a b.txt"}));
  EXPECT_EQ(listed(""), std::vector<std::string>({"docs/"}));
  expect_code(tree().list("docs/2026/a b.txt"), Errc::kNotDir);
  expect_code(tree().list("nothing"), Errc::kNotFound);
}

TEST_F(FoldersTest, MakeDirParents) {
  ASSERT_TRUE(tree().make_dir("x/y/z", true).ok());
  EXPECT_TRUE(fs::is_directory(home_ / "x" / "y" / "z"));
  ASSERT_TRUE(tree().make_dir("x/y/z", true).ok());  // exists: fine with -p
  ASSERT_TRUE(put_file("x/file", "f").ok());
  expect_code(tree().make_dir("x/file/sub", true), Errc::kNotDir);
  expect_code(tree().make_dir("x/file", true), Errc::kNotDir);
  expect_code(tree().make_dir("x/file", false), Errc::kExists);
}

TEST_F(FoldersTest, MakeDirDepthIsBounded) {
  std::string deep = "d";
  for (int i = 1; i < kMaxDirDepth; ++i) {
    deep += "/d";
  }
  ASSERT_TRUE(tree().make_dir(deep, true).ok());
  expect_code(tree().make_dir(deep + "/d", true), Errc::kTooLarge);
  expect_code(tree().make_dir(deep + "/d", false), Errc::kTooLarge);
  ASSERT_TRUE(put_file(deep + "/file", "deepest").ok());
  auto usage = tree().usage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->entries, static_cast<std::uint64_t>(kMaxDirDepth) + 1);  // the folders too
  EXPECT_EQ(usage->bytes, 7U);
}

TEST_F(FoldersTest, SymlinksRefusedByEveryDirectoryOperation) {
  fs::create_directory_symlink(outside_, home_ / "out");
  fs::create_symlink(outside_ / "secret.txt", home_ / "secret");
  ASSERT_TRUE(tree().make_dir("real", false).ok());
  expect_code(tree().make_dir("out/new", false), Errc::kBadPath);
  expect_code(tree().make_dir("out/new", true), Errc::kBadPath);
  expect_code(tree().make_dir("out", true), Errc::kBadPath);
  expect_code(tree().remove_dir("out"), Errc::kBadPath);
  expect_code(tree().list("out"), Errc::kBadPath);
  expect_code(tree().stat("out"), Errc::kBadPath);
  expect_code(tree().stat("out/secret.txt"), Errc::kBadPath);
  expect_code(tree().stat("secret"), Errc::kBadPath);
  expect_code(tree().move("secret", "real", kMaxPath), Errc::kBadPath);
  expect_code(tree().move("real", "out", kMaxPath), Errc::kBadPath);
  expect_code(tree().move("real", "out/real", kMaxPath), Errc::kBadPath);
  expect_code(tree().move("out/secret.txt", "stolen", kMaxPath), Errc::kBadPath);
  EXPECT_TRUE(fs::is_directory(home_ / "real"));
  EXPECT_EQ(read_file(outside_ / "secret.txt"), "top secret");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside_), fs::directory_iterator()), 1);
  EXPECT_EQ(listed(""), std::vector<std::string>({"real/"}));  // links are not listed
}

TEST_F(FoldersTest, DotDotAndReservedNamesRefused) {
  for (const char* path :
       {"..", "../outside", "a/../..", "/etc", "a//b", "./a", ".sfs-tmp-x", "a/.sfs-part-1"}) {
    expect_code(tree().make_dir(path, true), Errc::kBadPath);
    expect_code(tree().remove_dir(path), Errc::kBadPath);
    expect_code(tree().stat(path), Errc::kBadPath);
    expect_code(tree().list(path), Errc::kBadPath);
    expect_code(tree().move(path, "x", kMaxPath), Errc::kBadPath);
    expect_code(tree().move("x", path, kMaxPath), Errc::kBadPath);
  }
  EXPECT_FALSE(fs::exists(base_ / "root" / "u" / "x"));
}

TEST_F(FoldersTest, RemoveDir) {
  ASSERT_TRUE(tree().make_dir("d/e", true).ok());
  expect_code(tree().remove_dir("d"), Errc::kNotEmpty);
  ASSERT_TRUE(put_file("d/e/f", "x").ok());
  expect_code(tree().remove_dir("d/e/f"), Errc::kNotDir);
  expect_code(tree().remove_dir("missing"), Errc::kNotFound);
  expect_code(tree().remove_dir("d/e"), Errc::kNotEmpty);
  ASSERT_TRUE(tree().remove("d/e/f").ok());
  ASSERT_TRUE(tree().remove_dir("d/e").ok());
  ASSERT_TRUE(tree().remove_dir("d").ok());
  EXPECT_TRUE(fs::is_empty(home_));
}

TEST_F(FoldersTest, RemoveDirTakesAbandonedUploadsButNotLiveOnes) {
  ASSERT_TRUE(tree().make_dir("d", false).ok());
  {
    auto partial = tree().create("d/big.bin", 10);  // interrupted: kept for a resume
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE(partial->write("hello", 5).ok());
  }
  EXPECT_EQ(listed("d"), std::vector<std::string>());
  {
    auto live = tree().create("d/live.bin");
    ASSERT_TRUE(live.ok());
    expect_code(tree().remove_dir("d"), Errc::kNotEmpty);
  }
  ASSERT_TRUE(tree().remove_dir("d").ok());
  EXPECT_FALSE(fs::exists(home_ / "d"));
}

TEST_F(FoldersTest, MoveFiles) {
  ASSERT_TRUE(put_file("a.txt", "A").ok());
  ASSERT_TRUE(tree().make_dir("docs", false).ok());
  auto into = tree().move("a.txt", "docs", kMaxPath);  // into a directory
  ASSERT_TRUE(into.ok()) << into.error().message;
  EXPECT_EQ(*into, "docs/a.txt");
  EXPECT_EQ(read_file(home_ / "docs" / "a.txt"), "A");
  auto renamed = tree().move("docs/a.txt", "docs/b c.txt", kMaxPath);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(*renamed, "docs/b c.txt");
  ASSERT_TRUE(put_file("other", "O").ok());
  auto replaced = tree().move("other", "docs/b c.txt", kMaxPath);  // replaces a file
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(read_file(home_ / "docs" / "b c.txt"), "O");
  EXPECT_EQ(*tree().move("docs/b c.txt", "docs/b c.txt", kMaxPath), "docs/b c.txt");
  expect_code(tree().move("missing", "x", kMaxPath), Errc::kNotFound);
  expect_code(tree().move("docs/b c.txt", "nowhere/x", kMaxPath), Errc::kNotFound);
  EXPECT_EQ(listed("docs"), std::vector<std::string>({"b c.txt"}));
}

TEST_F(FoldersTest, MoveDirectories) {
  ASSERT_TRUE(tree().make_dir("a/b/c", true).ok());
  ASSERT_TRUE(put_file("a/b/c/f", "F").ok());
  ASSERT_TRUE(tree().make_dir("z", false).ok());
  expect_code(tree().move("a", "a", kMaxPath), Errc::kBadPath);  // a is a dir: into itself
  expect_code(tree().move("a", "a/b", kMaxPath), Errc::kBadPath);
  expect_code(tree().move("a", "a/b/c/new", kMaxPath), Errc::kBadPath);
  auto moved = tree().move("a/b", "z", kMaxPath);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(*moved, "z/b");
  EXPECT_EQ(read_file(home_ / "z" / "b" / "c" / "f"), "F");
  // A directory over a file, a file over a directory, onto a non-empty one.
  ASSERT_TRUE(put_file("file", "x").ok());
  expect_code(tree().move("z/b", "file", kMaxPath), Errc::kNotDir);
  ASSERT_TRUE(tree().make_dir("y/b", true).ok());
  ASSERT_TRUE(put_file("y/b/keep", "k").ok());
  expect_code(tree().move("z/b", "y", kMaxPath), Errc::kNotEmpty);
  ASSERT_TRUE(tree().make_dir("w/file", true).ok());
  expect_code(tree().move("file", "w", kMaxPath), Errc::kIsDir);
  EXPECT_EQ(read_file(home_ / "y" / "b" / "keep"), "k");
  EXPECT_EQ(read_file(home_ / "file"), "x");
  // A name that starts like the source is not inside it.
  ASSERT_TRUE(tree().make_dir("ab", false).ok());
  ASSERT_TRUE(tree().move("a", "ab", kMaxPath).ok());
  EXPECT_TRUE(fs::is_directory(home_ / "ab" / "a"));
}

TEST_F(FoldersTest, MoveKeepsDepthAndPathBounds) {
  std::string deep = "d";
  for (int i = 1; i < kMaxDirDepth - 1; ++i) {
    deep += "/d";
  }
  ASSERT_TRUE(tree().make_dir(deep, true).ok());
  ASSERT_TRUE(tree().make_dir("t/u", true).ok());
  expect_code(tree().move("t", deep, kMaxPath), Errc::kTooLarge);
  ASSERT_TRUE(tree().move("t/u", deep, kMaxPath).ok());
  ASSERT_TRUE(put_file("f", "x").ok());
  ASSERT_TRUE(tree().make_dir("longer", false).ok());
  expect_code(tree().move("f", "longer", 7), Errc::kTooLarge);  // "longer/f": 8 bytes
  EXPECT_EQ(read_file(home_ / "f"), "x");
  ASSERT_TRUE(tree().move("f", "longer", 8).ok());
  EXPECT_EQ(read_file(home_ / "longer" / "f"), "x");
}

TEST_F(FoldersTest, Stat) {
  ASSERT_TRUE(tree().make_dir("d", false).ok());
  ASSERT_TRUE(put_file("d/f", "hello").ok());
  auto file = tree().stat("d/f");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->name, "d/f");
  EXPECT_FALSE(file->is_dir);
  EXPECT_EQ(file->size, 5U);
  EXPECT_GT(file->mtime, 0);
  auto dir = tree().stat("d");
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->is_dir);
  EXPECT_TRUE(dir->digest.empty());
  expect_code(tree().stat("d/missing"), Errc::kNotFound);
  expect_code(tree().stat("d/f/x"), Errc::kNotFound);
  ASSERT_EQ(::mkfifo((home_ / "fifo").c_str(), 0600), 0);
  expect_code(tree().stat("fifo"), Errc::kBadPath);
}

TEST_F(FoldersTest, UsageCountsNestedFiles) {
  ASSERT_TRUE(tree().make_dir("a/b", true).ok());
  ASSERT_TRUE(put_file("a/one", "1").ok());
  ASSERT_TRUE(put_file("a/b/two", "22").ok());
  auto usage = tree().usage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->entries, 4U);  // a, a/b, one, two
  EXPECT_EQ(usage->bytes, 3U);
}

TEST_F(FoldersTest, UsageCountsKeptPartialUploadsButNotLiveOnes) {
  ASSERT_TRUE(tree().make_dir("a", false).ok());
  ASSERT_TRUE(put_file("a/one", "1").ok());
  {
    auto kept = tree().create("a/big.bin", 10);  // interrupted: kept for a resume
    ASSERT_TRUE(kept.ok());
    ASSERT_TRUE(kept->write("hello", 5).ok());
  }
  auto live = tree().create("a/live.bin", 10);  // its upload accounts for it
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live->write("abc", 3).ok());
  auto usage = tree().usage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, (Usage{1 + 5, 3}));  // a, a/one, the kept partial
  EXPECT_EQ(live->keep_for_resume(), 3U);
  usage = tree().usage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(*usage, (Usage{1 + 5 + 3, 4}));
}

TEST_F(FoldersTest, DirectoryOperationsReportWhatTheyMadeAndRemoved) {
  auto made = tree().make_dir("a", false);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(*made, (Usage{0, 1}));
  std::vector<std::uint64_t> asked;
  auto admit = [&](std::uint64_t count) -> Result<void> {
    asked.push_back(count);
    return {};
  };
  made = tree().make_dir("a/b/c", true, admit);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(*made, (Usage{0, 2}));
  made = tree().make_dir("a/b/c", true, admit);  // all there: nothing to admit
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(*made, (Usage{0, 0}));
  EXPECT_EQ(asked, std::vector<std::uint64_t>({2}));
  ASSERT_TRUE(put_file("a/f", "12345").ok());
  auto removed = tree().remove("a/f");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (Usage{5, 1}));
  removed = tree().remove_dir("a/b/c");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (Usage{0, 1}));
  {
    auto kept = tree().create("a/b/big.bin", 10);
    ASSERT_TRUE(kept.ok());
    ASSERT_TRUE(kept->write("hello", 5).ok());
  }
  removed = tree().remove_dir("a/b");  // the folder and the partial left in it
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, (Usage{5, 2}));
}

TEST_F(FoldersTest, MakeDirRefusedByItsAdmitMakesNothing) {
  auto refuse = [](std::uint64_t count) -> Result<void> {
    return make_error(Errc::kTooLarge, "quota exceeded: " + std::to_string(count));
  };
  ASSERT_TRUE(tree().make_dir("x", false).ok());
  auto made = tree().make_dir("x/y/z", true, refuse);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message, "quota exceeded: 2");
  expect_code(tree().make_dir("new", false, refuse), Errc::kTooLarge);
  EXPECT_EQ(listed(""), std::vector<std::string>({"x/"}));
  EXPECT_EQ(listed("x"), std::vector<std::string>());
}

TEST_F(FoldersTest, MoveReportsWhatItReplaced) {
  ASSERT_TRUE(put_file("p", "abc").ok());
  ASSERT_TRUE(put_file("q", "xy").ok());
  Usage replaced{99, 99};
  ASSERT_TRUE(tree().move("p", "q", kMaxPath, &replaced).ok());
  EXPECT_EQ(replaced, (Usage{2, 1}));
  ASSERT_TRUE(tree().move("q", "r", kMaxPath, &replaced).ok());
  EXPECT_EQ(replaced, (Usage{0, 0}));
  ASSERT_TRUE(tree().make_dir("d/e", true).ok());
  ASSERT_TRUE(tree().make_dir("empty", false).ok());
  ASSERT_TRUE(tree().move("d/e", "empty/e", kMaxPath, &replaced).ok());
  EXPECT_EQ(replaced, (Usage{0, 0}));
  ASSERT_TRUE(tree().make_dir("f", false).ok());
  ASSERT_TRUE(tree().move("empty/e", "f", kMaxPath, &replaced).ok());  // into f
  EXPECT_EQ(replaced, (Usage{0, 0}));
  ASSERT_TRUE(tree().make_dir("g", false).ok());
  ASSERT_TRUE(tree().make_dir("h/g", true).ok());
  ASSERT_TRUE(tree().move("g", "h", kMaxPath, &replaced).ok());  // into h, over the empty h/g
  EXPECT_EQ(replaced, (Usage{0, 1}));
}

}  // namespace
}  // namespace sfs::storage
