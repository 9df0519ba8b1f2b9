#include "storage/files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "storage/store.h"
#include "storage/user_tree.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::names_in;
using test::read_file;

// XXH128 of "abc", of nothing, and of "hello".
constexpr char kAbc[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kEmptyDigest[] = "99aa06d3014798d86001c324468d497f";
constexpr char kHello[] = "b5e9c1ad071b3e7fc779cfaa5e523818";

class FilesTest : public test::AliceTreeTest {
 protected:
  FilesTest() : AliceTreeTest("sfs-files", false) {}

  // The digest attribute of a file by path, or "<none>".
  static std::string xattr_of(const fs::path& path) {
    char value[256];
    const ssize_t n = ::getxattr(path.c_str(), "user.sfs.xxh128", value, sizeof(value));
    return n < 0 ? std::string("<none>") : std::string(value, static_cast<std::size_t>(n));
  }

  // Names of the partial files of resumable uploads in `dir`.
  static std::vector<std::string> partials_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const std::string& name : names_in(dir)) {
      if (name.starts_with(".sfs-part-")) {
        names.push_back(name);
      }
    }
    return names;
  }

  // Everything an upload's file holds, read back through the upload.
  static std::string read_upload(const Upload& up) {
    std::string data;
    char buf[4096];
    while (true) {
      auto n = up.read_at(buf, sizeof(buf), data.size());
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) {
        return data;
      }
      data.append(buf, *n);
    }
  }

  // Starts a resumable upload of `relative` with `size` bytes, writes
  // `content` and drops it uncommitted, as a cut connection does.
  void interrupted_upload(std::string_view relative, std::uint64_t size,
                          const std::string& content) {
    auto up = tree().create(relative, size);
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(up->resumable());
    ASSERT_TRUE(up->continue_at(up->held()).ok());
    ASSERT_TRUE(up->write(content.data(), content.size()).ok());
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
  EXPECT_TRUE(read_file(home_ / "data.bin") == content);
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
  EXPECT_EQ(read_file(home_ / "d" / "x.txt"), "partial");
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
  EXPECT_EQ(read_file(home_ / "once.txt"), "one");
}

TEST_F(FilesTest, PreviousVersionRemainsUntilCommit) {
  put_file("doc.txt", "old version");
  auto up = tree().create("doc.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("new version, longer", 19).ok());
  EXPECT_EQ(read_file(home_ / "doc.txt"), "old version");
  {
    auto read = tree().open_read("doc.txt");
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->size(), 11U);
    EXPECT_EQ(read_all(*read), "old version");
  }
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(home_ / "doc.txt"), "new version, longer");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"doc.txt"}));
}

TEST_F(FilesTest, AbandonedReplacementKeepsPreviousVersion) {
  put_file("doc.txt", "old version");
  {
    auto up = tree().create("doc.txt");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("half", 4).ok());
  }
  EXPECT_EQ(read_file(home_ / "doc.txt"), "old version");
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
  EXPECT_EQ(read_file(home_ / "same.txt"), "first");
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
  EXPECT_EQ(read_file(home_ / "moved.txt"), "moved");
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

// ---- digests --------------------------------------------------------------------------

TEST_F(FilesTest, SetDigestThenCommitStoresTheDigestWithTheFile) {
  auto up = tree().create("abc.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  ASSERT_TRUE(up->set_digest(kAbc).ok());
  // Recorded on the temp file already, before it becomes visible.
  ASSERT_EQ(names_in(home_).size(), 1U);
  EXPECT_EQ(xattr_of(home_ / names_in(home_)[0]), kAbc);
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"abc.txt"}));
  EXPECT_EQ(read_file(home_ / "abc.txt"), "abc");
  EXPECT_EQ(xattr_of(home_ / "abc.txt"), kAbc);
  auto read = tree().open_read("abc.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), kAbc);
}

TEST_F(FilesTest, UploadWithoutDigestHasNone) {
  put_file("plain.txt", "abc");
  EXPECT_EQ(xattr_of(home_ / "plain.txt"), "<none>");
  auto read = tree().open_read("plain.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), "");
}

TEST_F(FilesTest, ReplacementDoesNotInheritTheOldDigest) {
  {
    auto up = tree().create("doc.txt");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("abc", 3).ok());
    ASSERT_TRUE(up->set_digest(kAbc).ok());
    ASSERT_TRUE(up->commit().ok());
  }
  put_file("doc.txt", "new");
  auto read = tree().open_read("doc.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), "");
}

TEST_F(FilesTest, DiscardedUploadWithDigestLeavesNothing) {
  auto up = tree().create("gone.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  ASSERT_TRUE(up->set_digest(kAbc).ok());
  up->discard();
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(FilesTest, StoreDigestOnAFileThatHadNone) {
  put_file("old.txt", "hello");
  auto read = tree().open_read("old.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), "");
  ASSERT_TRUE(read->store_digest(kHello).ok());
  EXPECT_EQ(read->stored_digest(), kHello);
  EXPECT_EQ(xattr_of(home_ / "old.txt"), kHello);
  auto again = tree().open_read("old.txt");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored_digest(), kHello);
  // The content is untouched.
  EXPECT_EQ(read_file(home_ / "old.txt"), "hello");
}

TEST_F(FilesTest, ComputeDigestOfSmallFiles) {
  put_file("abc.txt", "abc");
  put_file("empty", "");
  auto abc = tree().open_read("abc.txt");
  ASSERT_TRUE(abc.ok());
  auto d = abc->compute_digest();
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, kAbc);
  // Computing twice gives the same, and stores nothing.
  auto again = abc->compute_digest();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, kAbc);
  EXPECT_EQ(abc->stored_digest(), "");
  EXPECT_EQ(xattr_of(home_ / "abc.txt"), "<none>");
  auto empty = tree().open_read("empty");
  ASSERT_TRUE(empty.ok());
  auto e = empty->compute_digest();
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, kEmptyDigest);
}

TEST_F(FilesTest, ComputeDigestOfAFileLargerThanItsChunks) {
  std::mt19937 rng(7);
  std::string content(3 * 1024 * 1024 + 17, '\0');
  for (char& c : content) {
    c = static_cast<char>(rng());
  }
  put_file("big.bin", content);
  crypto::Digest expected;
  expected.update(content.data(), content.size());
  auto read = tree().open_read("big.bin");
  ASSERT_TRUE(read.ok());
  auto d = read->compute_digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, expected.hex_digest());
}

TEST_F(FilesTest, ComputeDigestIsOfTheOpenedVersion) {
  put_file("snap.txt", "abc");
  auto read = tree().open_read("snap.txt");
  ASSERT_TRUE(read.ok());
  put_file("snap.txt", "hello");
  auto d = read->compute_digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, kAbc);
}

TEST_F(FilesTest, ComputeDigestDoesNotTrustTheStoredOne) {
  put_file("f.txt", "abc");
  auto read = tree().open_read("f.txt");
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->store_digest(kHello).ok());
  auto d = read->compute_digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, kAbc);
  EXPECT_EQ(read->stored_digest(), kHello);
}

// ---- resumable uploads ---------------------------------------------------------------

TEST_F(FilesTest, CommitReportsWhatItReplaced) {
  auto up = tree().create("a.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("hello", 5).ok());
  auto replaced = up->commit();
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, (Usage{0, 0}));
  auto again = tree().create("a.txt", 2);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->write("hi", 2).ok());
  replaced = again->commit();
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, (Usage{5, 1}));
}

TEST_F(FilesTest, KeepForResumeReportsTheBytesKept) {
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("hello", 5).ok());
    EXPECT_EQ(up->keep_for_resume(), 5U);
    EXPECT_EQ(up->keep_for_resume(), 0U);  // once
  }
  EXPECT_EQ(partials_in(home_).size(), 1U);
  auto empty = tree().create("other.bin", 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->keep_for_resume(), 0U);  // nothing to keep: removed
  auto plain = tree().create("plain.bin");
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(plain->write("x", 1).ok());
  EXPECT_EQ(plain->keep_for_resume(), 0U);  // not resumable: removed
  EXPECT_EQ(names_in(home_), partials_in(home_));
  EXPECT_EQ(partials_in(home_).size(), 1U);
  auto resumed = tree().create("big.bin", 10);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->held(), 5U);
}

TEST_F(FilesTest, ResumableUploadStartsEmpty) {
  auto up = tree().create("big.bin", 10);
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_TRUE(up->resumable());
  EXPECT_EQ(up->held(), 0U);
  const std::vector<std::string> partials = partials_in(home_);
  ASSERT_EQ(partials.size(), 1U);
  EXPECT_EQ(names_in(home_), partials);
  EXPECT_TRUE(partials[0].ends_with("-10")) << partials[0];  // named after the size
  EXPECT_EQ(mode_of(home_ / partials[0]), 0600U);
}

TEST_F(FilesTest, InterruptedResumableUploadLeavesAHiddenPartial) {
  interrupted_upload("big.bin", 10, "hello");
  const std::vector<std::string> partials = partials_in(home_);
  ASSERT_EQ(partials.size(), 1U);
  EXPECT_EQ(names_in(home_), partials);
  EXPECT_EQ(read_file(home_ / partials[0]), "hello");
  EXPECT_EQ(mode_of(home_ / partials[0]), 0600U);
  EXPECT_FALSE(fs::exists(home_ / "big.bin"));
  auto listed = tree().list();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(FilesTest, SameNameAndSizeResumesTheHeldBytes) {
  interrupted_upload("big.bin", 10, "hello");
  auto up = tree().create("big.bin", 10);
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(up->resumable());
  EXPECT_EQ(up->held(), 5U);
  char buf[100];
  auto n = up->read_at(buf, sizeof(buf), 0);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 5U);
  EXPECT_EQ(std::string(buf, 5), "hello");
  auto tail = up->read_at(buf, sizeof(buf), 2);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(std::string(buf, *tail), "llo");
  auto end = up->read_at(buf, sizeof(buf), 5);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0U);
  // Still one partial file: the same one was opened again.
  EXPECT_EQ(partials_in(home_).size(), 1U);
  EXPECT_EQ(names_in(home_).size(), 1U);
}

TEST_F(FilesTest, OtherSizeOrOtherNameHoldsNothing) {
  interrupted_upload("big.bin", 10, "hello");
  const std::vector<std::string> before = partials_in(home_);
  ASSERT_EQ(before.size(), 1U);
  {
    auto other_size = tree().create("big.bin", 11);
    ASSERT_TRUE(other_size.ok());
    EXPECT_TRUE(other_size->resumable());
    EXPECT_EQ(other_size->held(), 0U);
    EXPECT_EQ(read_upload(*other_size), "");
    auto other_name = tree().create("big.bin2", 10);
    ASSERT_TRUE(other_name.ok());
    EXPECT_TRUE(other_name->resumable());
    EXPECT_EQ(other_name->held(), 0U);
    EXPECT_EQ(partials_in(home_).size(), 3U);
  }
  // The empty ones are gone; the one holding data is untouched.
  EXPECT_EQ(partials_in(home_), before);
  EXPECT_EQ(read_file(home_ / before[0]), "hello");
}

TEST_F(FilesTest, SecondUploadWhileOneIsAliveIsNotResumable) {
  interrupted_upload("big.bin", 10, "hello");
  auto first = tree().create("big.bin", 10);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->resumable());
  ASSERT_EQ(first->held(), 5U);
  const std::vector<std::string> before = names_in(home_);
  auto second = tree().create("big.bin", 10);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->resumable());
  EXPECT_EQ(second->held(), 0U);
  EXPECT_EQ(read_upload(*second), "");
  // The second one writes to a plain temp file of its own.
  std::vector<std::string> added;
  for (const std::string& name : names_in(home_)) {
    if (std::find(before.begin(), before.end(), name) == before.end()) {
      added.push_back(name);
    }
  }
  ASSERT_EQ(added.size(), 1U);
  EXPECT_TRUE(added[0].starts_with(".sfs-tmp-")) << added[0];
  ASSERT_TRUE(second->write("0123456789", 10).ok());
  ASSERT_TRUE(second->commit().ok());
  EXPECT_EQ(read_file(home_ / "big.bin"), "0123456789");
  // The first one's partial file is untouched by all that.
  EXPECT_EQ(read_upload(*first), "hello");
  EXPECT_EQ(partials_in(home_).size(), 1U);
}

TEST_F(FilesTest, DiscardRemovesThePartial) {
  interrupted_upload("big.bin", 10, "hello");
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_EQ(up->held(), 5U);
    up->discard();
    EXPECT_TRUE(names_in(home_).empty());
    up->discard();  // twice is harmless
  }
  EXPECT_TRUE(names_in(home_).empty());
  auto again = tree().create("big.bin", 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->held(), 0U);
}

TEST_F(FilesTest, DiscardOfAFreshResumableUpload) {
  auto up = tree().create("big.bin", 10);
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  up->discard();
  EXPECT_TRUE(names_in(home_).empty());
  auto commit = up->commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, Errc::kInternal);
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(FilesTest, EmptyResumableUploadDestroyedLeavesNothing) {
  { ASSERT_TRUE(tree().create("big.bin", 10).ok()); }
  EXPECT_TRUE(names_in(home_).empty());
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("", 0).ok());
  }
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(FilesTest, ResumedUploadCutBackToNothingLeavesNothing) {
  interrupted_upload("big.bin", 10, "hello");
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_EQ(up->held(), 5U);
    ASSERT_TRUE(up->continue_at(0).ok());
  }
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(FilesTest, ContinueAtTruncates) {
  interrupted_upload("big.bin", 11, "hello wor");
  auto up = tree().create("big.bin", 11);
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->held(), 9U);
  ASSERT_TRUE(up->continue_at(5).ok());
  EXPECT_EQ(read_upload(*up), "hello");
  ASSERT_EQ(partials_in(home_).size(), 1U);
  EXPECT_EQ(fs::file_size(home_ / partials_in(home_)[0]), 5U);
  ASSERT_TRUE(up->write(" WORLD", 6).ok());
  EXPECT_EQ(read_upload(*up), "hello WORLD");
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(home_ / "big.bin"), "hello WORLD");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"big.bin"}));
}

TEST_F(FilesTest, ContinueAtZeroStartsOver) {
  interrupted_upload("big.bin", 10, "hello");
  auto up = tree().create("big.bin", 10);
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->held(), 5U);
  ASSERT_TRUE(up->continue_at(0).ok());
  EXPECT_EQ(read_upload(*up), "");
  ASSERT_TRUE(up->write("0123456789", 10).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(home_ / "big.bin"), "0123456789");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"big.bin"}));
}

TEST_F(FilesTest, ContinueAtOnAPlainUpload) {
  auto up = tree().create("plain.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abcdef", 6).ok());
  ASSERT_TRUE(up->continue_at(2).ok());
  ASSERT_TRUE(up->write("XY", 2).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(home_ / "plain.txt"), "abXY");
}

TEST_F(FilesTest, CommitOfAResumedUploadGivesExactlyTheContent) {
  std::mt19937 rng(3);
  std::string content(1000003, '\0');
  for (char& c : content) {
    c = static_cast<char>(rng());
  }
  crypto::Digest hash;
  hash.update(content.data(), content.size());
  const std::string digest = hash.hex_digest();
  // Three attempts: cut after 1/3, then after 2/3, then complete.
  const std::size_t third = content.size() / 3;
  interrupted_upload("data.bin", content.size(), content.substr(0, third));
  {
    auto up = tree().create("data.bin", content.size());
    ASSERT_TRUE(up.ok());
    ASSERT_EQ(up->held(), third);
    ASSERT_TRUE(up->continue_at(third).ok());
    ASSERT_TRUE(up->write(content.data() + third, third).ok());
  }
  auto up = tree().create("data.bin", content.size());
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->held(), 2 * third);
  EXPECT_TRUE(read_upload(*up) == content.substr(0, 2 * third));
  ASSERT_TRUE(up->continue_at(2 * third).ok());
  ASSERT_TRUE(up->write(content.data() + 2 * third, content.size() - 2 * third).ok());
  ASSERT_TRUE(up->set_digest(digest).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"data.bin"}));
  EXPECT_EQ(fs::file_size(home_ / "data.bin"), content.size());
  EXPECT_TRUE(read_file(home_ / "data.bin") == content);
  EXPECT_EQ(mode_of(home_ / "data.bin"), 0600U);
  auto read = tree().open_read("data.bin");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), digest);
  auto computed = read->compute_digest();
  ASSERT_TRUE(computed.ok());
  EXPECT_EQ(*computed, digest);
  // The partial was used up: the next upload of that name and size starts
  // from nothing.
  auto next = tree().create("data.bin", content.size());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->held(), 0U);
}

TEST_F(FilesTest, PreviousVersionStaysWhileAPartialWaits) {
  put_file("doc.txt", "old");
  interrupted_upload("doc.txt", 10, "hello");
  EXPECT_EQ(read_file(home_ / "doc.txt"), "old");
  auto listed = tree().list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].name, "doc.txt");
  EXPECT_EQ((*listed)[0].size, 3U);
  auto read = tree().open_read("doc.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read_all(*read), "old");
}

TEST_F(FilesTest, ResumableUploadInASubdirectory) {
  ASSERT_TRUE(fs::create_directory(home_ / "d"));
  interrupted_upload("d/x.bin", 4, "ab");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"d"}));
  ASSERT_EQ(partials_in(home_ / "d").size(), 1U);
  EXPECT_EQ(names_in(home_ / "d").size(), 1U);
  // A file of the same name at the top is another upload.
  auto top = tree().create("x.bin", 4);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->held(), 0U);
  auto up = tree().create("d/x.bin", 4);
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->held(), 2U);
  ASSERT_TRUE(up->continue_at(2).ok());
  ASSERT_TRUE(up->write("cd", 2).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(names_in(home_ / "d"), std::vector<std::string>({"x.bin"}));
  EXPECT_EQ(read_file(home_ / "d" / "x.bin"), "abcd");
}

TEST_F(FilesTest, MovedResumableUploadKeepsItsPartial) {
  interrupted_upload("big.bin", 10, "hello");
  std::optional<Upload> moved;
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    moved.emplace(std::move(*up));
  }
  ASSERT_EQ(partials_in(home_).size(), 1U);
  EXPECT_EQ(moved->held(), 5U);
  EXPECT_TRUE(moved->resumable());
  EXPECT_EQ(read_upload(*moved), "hello");
  moved.reset();
  ASSERT_EQ(partials_in(home_).size(), 1U);
  EXPECT_EQ(read_file(home_ / partials_in(home_)[0]), "hello");
}

}  // namespace
}  // namespace sfs::storage
