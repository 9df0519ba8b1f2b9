#include "client/local_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;
using test::mode_of;
using test::names_in;
using test::read_file;
using test::write_file;

// XXH128 of "abc" and of "hello".
constexpr char kAbc[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kHello[] = "b5e9c1ad071b3e7fc779cfaa5e523818";

class LocalFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    target_ = base_ / "t.bin";
    partial_ = base_ / ".t.bin.sfs-part";
  }

  // Everything the partial file holds, read back through the download.
  static std::string read_download(const LocalDownload& d) {
    std::string data;
    char buf[4096];
    while (true) {
      auto n = d.read_at(buf, sizeof(buf), data.size());
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) {
        return data;
      }
      data.append(buf, *n);
    }
  }

  // A download of `content` from a file with digest `digest`, cut and kept.
  void interrupted_download(const std::string& digest, const std::string& content) {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok()) << d.error().message;
    d->record_digest(digest);
    ASSERT_TRUE(d->write(content.data(), content.size()).ok());
    d->keep();
  }

  test::TempDir tmp_{"sfs-local"};
  const fs::path base_ = tmp_.path();
  fs::path target_;
  fs::path partial_;
};

// ---- LocalDownload ----------------------------------------------------------------

TEST_F(LocalFileTest, OpenCreatesAHiddenPartialBesideTheTarget) {
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(names_in(base_), std::vector<std::string>({".t.bin.sfs-part"}));
  EXPECT_EQ(mode_of(partial_), 0600U);
  EXPECT_EQ(fs::file_size(partial_), 0U);
  EXPECT_EQ(d->held(), 0U);
  EXPECT_EQ(d->recorded_digest(), "");
  EXPECT_FALSE(fs::exists(target_));
}

TEST_F(LocalFileTest, PartialIsInTheTargetsDirectory) {
  ASSERT_TRUE(fs::create_directory(base_ / "sub"));
  auto d = LocalDownload::open(base_ / "sub" / "a b.txt", false);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(names_in(base_ / "sub"), std::vector<std::string>({".a b.txt.sfs-part"}));
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"sub"}));
}

TEST_F(LocalFileTest, OpenInAMissingDirectoryFails) {
  auto d = LocalDownload::open(base_ / "missing" / "t.bin", false);
  ASSERT_FALSE(d.ok());
  // A local problem (exit status 8), not "no such file" (4, as for a remote one).
  EXPECT_EQ(d.error().code, Errc::kLocal);
  EXPECT_EQ(d.error().message, "no such local directory: " + (base_ / "missing").string());
  EXPECT_EQ(names_in(base_), std::vector<std::string>());
}

TEST_F(LocalFileTest, ExistingTargetIsUntouchedUntilCommit) {
  write_file(target_, "old content");
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->write("new", 3).ok());
  EXPECT_EQ(read_file(target_), "old content");
  EXPECT_EQ(read_file(partial_), "new");
}

TEST_F(LocalFileTest, SecondOpenWhileTheFirstIsAliveFails) {
  auto first = LocalDownload::open(target_, false);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->write("abc", 3).ok());
  for (const bool resume : {false, true}) {
    auto second = LocalDownload::open(target_, resume);
    ASSERT_FALSE(second.ok()) << "resume=" << resume;
    EXPECT_EQ(second.error().code, Errc::kLocal);
    EXPECT_NE(second.error().message.find("another download"), std::string::npos)
        << second.error().message;
    EXPECT_NE(second.error().message.find(target_.string()), std::string::npos)
        << second.error().message;
  }
  // The refused opens left the first download's partial file alone.
  ASSERT_TRUE(fs::exists(partial_));
  EXPECT_EQ(read_file(partial_), "abc");
  ASSERT_TRUE(first->write("def", 3).ok());
  ASSERT_TRUE(first->commit().ok());
  EXPECT_EQ(read_file(target_), "abcdef");
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
}

TEST_F(LocalFileTest, OpenAgainAfterTheFirstIsGone) {
  { ASSERT_TRUE(LocalDownload::open(target_, false).ok()); }
  auto again = LocalDownload::open(target_, false);
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(LocalFileTest, DestroyWithoutKeepRemovesThePartial) {
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    d->record_digest(kHello);
    ASSERT_TRUE(d->write("hel", 3).ok());
  }
  EXPECT_TRUE(names_in(base_).empty());
}

TEST_F(LocalFileTest, KeptPartialResumes) {
  interrupted_download(kHello, "hel");
  ASSERT_EQ(names_in(base_), std::vector<std::string>({".t.bin.sfs-part"}));
  EXPECT_EQ(read_file(partial_), "hel");
  char value[100];
  const ssize_t n = ::getxattr(partial_.c_str(), "user.sfs.xxh128", value, sizeof(value));
  ASSERT_EQ(n, 32);
  EXPECT_EQ(std::string(value, 32), kHello);

  auto d = LocalDownload::open(target_, true);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->held(), 3U);
  EXPECT_EQ(d->recorded_digest(), kHello);
  EXPECT_EQ(read_download(*d), "hel");
  ASSERT_TRUE(d->continue_at(d->held()).ok());
  ASSERT_TRUE(d->write("lo", 2).ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(read_file(target_), "hello");
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
}

TEST_F(LocalFileTest, KeptPartialWithoutDigestHasNoneRecorded) {
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->write("abc", 3).ok());
    d->keep();
  }
  auto d = LocalDownload::open(target_, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->held(), 3U);
  EXPECT_EQ(d->recorded_digest(), "");
}

TEST_F(LocalFileTest, MalformedRecordedDigestIsUnknown) {
  // Only 32 lower-case hex digits are a digest; anything else in the
  // attribute (a hand edit, another tool) means "unknown", as on the server.
  std::string upper = kHello;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const std::string& value : {upper, std::string(32, 'g'), std::string(kHello).substr(0, 31),
                                   std::string(kHello) + "0"}) {
    interrupted_download(kHello, "hel");
    ASSERT_EQ(::setxattr(partial_.c_str(), "user.sfs.xxh128", value.data(), value.size(), 0), 0);
    auto d = LocalDownload::open(target_, true);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->held(), 3U);
    EXPECT_EQ(d->recorded_digest(), "") << "'" << value << "'";
  }
}

TEST_F(LocalFileTest, RecordDigestReplaces) {
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    d->record_digest(kHello);
    d->record_digest(kAbc);
    ASSERT_TRUE(d->write("ab", 2).ok());
    d->keep();
  }
  auto d = LocalDownload::open(target_, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->recorded_digest(), kAbc);
}

TEST_F(LocalFileTest, ReopenWithoutResumeStartsEmpty) {
  interrupted_download(kHello, "hel");
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->held(), 0U);
  EXPECT_EQ(d->recorded_digest(), "");
  EXPECT_EQ(read_download(*d), "");
  EXPECT_EQ(fs::file_size(partial_), 0U);
  // Written without continue_at: the content is exactly what was written.
  ASSERT_TRUE(d->write("ab", 2).ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(read_file(target_), "ab");
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
}

TEST_F(LocalFileTest, ReopenWithoutResumeForgetsTheOldDigest) {
  interrupted_download(kHello, "hel");
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->write("ab", 2).ok());
    d->keep();
  }
  // The two bytes are not a prefix of the file whose digest was recorded
  // before: nothing must claim they are.
  auto d = LocalDownload::open(target_, true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(read_download(*d), "ab");
  EXPECT_EQ(d->recorded_digest(), "");
}

TEST_F(LocalFileTest, CommitReplacesTheTargetWithExactContent) {
  write_file(target_, "an older and longer content");
  std::string content;
  for (int i = 0; i < 300000; ++i) {
    content.push_back(static_cast<char>(i * 13 + i / 7));
  }
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->write(content.data(), 100000).ok());
  ASSERT_TRUE(d->write(content.data() + 100000, content.size() - 100000).ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
  EXPECT_EQ(fs::file_size(target_), content.size());
  EXPECT_TRUE(read_file(target_) == content);
  EXPECT_FALSE(fs::exists(partial_));
}

TEST_F(LocalFileTest, CommitOfAnEmptyDownload) {
  write_file(target_, "old");
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(fs::file_size(target_), 0U);
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
}

TEST_F(LocalFileTest, DestroyAfterCommitRemovesNothing) {
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->write("done", 4).ok());
    ASSERT_TRUE(d->commit().ok());
  }
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
  EXPECT_EQ(read_file(target_), "done");
}

TEST_F(LocalFileTest, ContinueAtTruncates) {
  auto d = LocalDownload::open(target_, false);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->write("hello world", 11).ok());
  ASSERT_TRUE(d->continue_at(5).ok());
  EXPECT_EQ(read_download(*d), "hello");
  EXPECT_EQ(fs::file_size(partial_), 5U);
  ASSERT_TRUE(d->write("!", 1).ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(read_file(target_), "hello!");
}

TEST_F(LocalFileTest, ContinueAtZeroAfterResume) {
  interrupted_download(kHello, "hel");
  auto d = LocalDownload::open(target_, true);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->held(), 3U);
  ASSERT_TRUE(d->continue_at(0).ok());
  EXPECT_EQ(read_download(*d), "");
  ASSERT_TRUE(d->write("abc", 3).ok());
  ASSERT_TRUE(d->commit().ok());
  EXPECT_EQ(read_file(target_), "abc");
}

TEST_F(LocalFileTest, MovedDownloadKeepsWorking) {
  std::optional<LocalDownload> moved;
  {
    auto d = LocalDownload::open(target_, false);
    ASSERT_TRUE(d.ok());
    moved.emplace(std::move(*d));
    // The moved-from object dies here and must not remove the partial.
  }
  ASSERT_TRUE(fs::exists(partial_));
  ASSERT_TRUE(moved->write("moved", 5).ok());
  ASSERT_TRUE(moved->commit().ok());
  EXPECT_EQ(read_file(target_), "moved");
  moved.reset();
  EXPECT_EQ(names_in(base_), std::vector<std::string>({"t.bin"}));
}

// ---- LocalSource ----------------------------------------------------------------------

TEST_F(LocalFileTest, SourceReadsEverything) {
  write_file(base_ / "src.txt", "0123456789");
  auto s = LocalSource::open(base_ / "src.txt");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->size(), 10U);
  char buf[4];
  std::string all;
  while (true) {
    auto n = s->read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok());
    if (*n == 0) {
      break;
    }
    all.append(buf, *n);
  }
  EXPECT_EQ(all, "0123456789");
}

TEST_F(LocalFileTest, SourceSeek) {
  write_file(base_ / "src.txt", "0123456789");
  auto s = LocalSource::open(base_ / "src.txt");
  ASSERT_TRUE(s.ok());
  char buf[100];
  ASSERT_TRUE(s->seek(7).ok());
  auto tail = s->read(buf, sizeof(buf));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(std::string(buf, *tail), "789");
  // Backwards too.
  ASSERT_TRUE(s->seek(2).ok());
  auto two = s->read(buf, 3);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(std::string(buf, *two), "234");
  ASSERT_TRUE(s->seek(0).ok());
  auto all = s->read(buf, sizeof(buf));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(std::string(buf, *all), "0123456789");
  // At and beyond the end: nothing more to read.
  ASSERT_TRUE(s->seek(10).ok());
  auto at_end = s->read(buf, sizeof(buf));
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(*at_end, 0U);
  ASSERT_TRUE(s->seek(1000).ok());
  auto beyond = s->read(buf, sizeof(buf));
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(*beyond, 0U);
  EXPECT_EQ(s->size(), 10U);
}

TEST_F(LocalFileTest, SourceOfAMissingFile) {
  auto s = LocalSource::open(base_ / "missing.txt");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kNotFound);
  EXPECT_NE(s.error().message.find("missing.txt"), std::string::npos) << s.error().message;
}

TEST_F(LocalFileTest, SourceOfADirectory) {
  auto s = LocalSource::open(base_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kLocal);
}

TEST_F(LocalFileTest, SourceOfAnEmptyFile) {
  write_file(base_ / "empty", "");
  auto s = LocalSource::open(base_ / "empty");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 0U);
  char c;
  auto n = s->read(&c, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0U);
}

}  // namespace
}  // namespace sfs::client
