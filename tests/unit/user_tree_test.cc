#include "storage/user_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/digest.h"
#include "storage/store.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;
using test::names_in;
using test::read_file;
using test::write_file;

// XXH128 of "abc", of nothing, and of "hello".
constexpr char kAbc[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kEmptyDigest[] = "99aa06d3014798d86001c324468d497f";
constexpr char kHello[] = "b5e9c1ad071b3e7fc779cfaa5e523818";

class UserTreeTest : public test::AliceTreeTest {
 protected:
  UserTreeTest() : AliceTreeTest("sfs-tree", true) {}

  static bool is_symlink(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  }

  // Uploads `content` with its digest recorded.
  Result<void> put_hashed(std::string_view relative, const std::string& content,
                          const std::string& digest) {
    auto up = tree().create(relative);
    if (!up) {
      return up.error();
    }
    if (auto w = up->write(content.data(), content.size()); !w) {
      return w;
    }
    if (auto d = up->set_digest(digest); !d) {
      return d;
    }
    if (auto committed = up->commit(); !committed) {
      return committed.error();
    }
    return {};
  }

  static void set_xattr(const fs::path& path, const std::string& value) {
    ASSERT_EQ(::setxattr(path.c_str(), "user.sfs.xxh128", value.data(), value.size(), 0), 0)
        << path;
  }

  // Replaces the byte at `offset` in place, keeping the file's attributes.
  static void flip_byte(const fs::path& path, std::uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << path;
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    ASSERT_TRUE(f.get(c));
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x01));
    ASSERT_TRUE(f.good());
  }

  // Reads a whole file through the tree.
  Result<std::string> download(std::string_view relative) {
    auto file = tree().open_read(relative);
    if (!file) {
      return file.error();
    }
    std::string data(file->size(), '\0');
    std::size_t done = 0;
    while (done < data.size()) {
      auto n = file->read_at(data.data() + done, data.size() - done, done);
      if (!n) {
        return n.error();
      }
      if (*n == 0) {
        break;
      }
      done += *n;
    }
    data.resize(done);
    return data;
  }

  // Plants the symlinks used by the symlink tests.
  void plant_symlinks() {
    write_file(home_ / "inside.txt", "inside content");
    ASSERT_TRUE(fs::create_directory(home_ / "sub"));
    write_file(home_ / "sub" / "file.txt", "sub content");
    fs::create_symlink(outside_ / "secret.txt", home_ / "out_file");
    fs::create_directory_symlink(outside_, home_ / "out_dir");
    fs::create_symlink("inside.txt", home_ / "in_file");
    fs::create_directory_symlink("sub", home_ / "in_dir");
    fs::create_symlink(outside_ / "not-yet", home_ / "dangling");
  }

  void expect_outside_untouched() {
    EXPECT_EQ(names_in(outside_), std::vector<std::string>({"secret.txt"}));
    EXPECT_EQ(read_file(outside_ / "secret.txt"), "top secret");
    EXPECT_EQ(read_file(home_ / "inside.txt"), "inside content");
    EXPECT_EQ(read_file(home_ / "sub" / "file.txt"), "sub content");
    for (const char* link : {"out_file", "out_dir", "in_file", "in_dir", "dangling"}) {
      EXPECT_TRUE(is_symlink(home_ / link)) << link;
    }
  }
};

template <typename T>
void expect_code(const Result<T>& r, Errc code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " succeeded";
  EXPECT_EQ(static_cast<int>(r.error().code), static_cast<int>(code))
      << what << ": " << r.error().message;
}

// ---- open_read ------------------------------------------------------------------

TEST_F(UserTreeTest, OpenReadSizeAndContent) {
  std::string content;
  for (int i = 0; i < 1000; ++i) {
    content.push_back(static_cast<char>(i * 7));
  }
  write_file(home_ / "data.bin", content);
  auto file = tree().open_read("data.bin");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->size(), 1000U);
  char buf[2000];
  auto all = file->read_at(buf, sizeof(buf), 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1000U);
  EXPECT_EQ(std::string(buf, *all), content);
  auto tail = file->read_at(buf, 100, 990);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, 10U);
  EXPECT_EQ(std::string(buf, *tail), content.substr(990));
  auto middle = file->read_at(buf, 5, 500);
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(*middle, 5U);
  EXPECT_EQ(std::string(buf, 5), content.substr(500, 5));
  auto at_end = file->read_at(buf, 10, 1000);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(*at_end, 0U);
  auto beyond = file->read_at(buf, 10, 5000);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(*beyond, 0U);
}

TEST_F(UserTreeTest, OpenReadInSubdirectory) {
  ASSERT_TRUE(fs::create_directories(home_ / "a" / "b"));
  write_file(home_ / "a" / "b" / "c d.txt", "nested");
  auto data = download("a/b/c d.txt");
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(*data, "nested");
}

TEST_F(UserTreeTest, OpenReadEmptyFile) {
  write_file(home_ / "empty", "");
  auto file = tree().open_read("empty");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), 0U);
  char c;
  auto n = file->read_at(&c, 1, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0U);
}

TEST_F(UserTreeTest, OpenReadDirectoryIsIsDir) {
  ASSERT_TRUE(fs::create_directory(home_ / "docs"));
  expect_code(tree().open_read("docs"), Errc::kIsDir, "open_read(docs)");
}

TEST_F(UserTreeTest, OpenReadMissingIsNotFound) {
  expect_code(tree().open_read("missing.txt"), Errc::kNotFound, "open_read(missing.txt)");
  expect_code(tree().open_read("nodir/x"), Errc::kNotFound, "open_read(nodir/x)");
  write_file(home_ / "file", "x");
  expect_code(tree().open_read("file/x"), Errc::kNotFound, "open_read(file/x)");
}

TEST_F(UserTreeTest, OpenReadOfAFifoDoesNotBlock) {
  const fs::path fifo = home_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::promise<Errc> promise;
  std::future<Errc> done = promise.get_future();
  std::thread reader([&] {
    auto r = tree().open_read("pipe");
    promise.set_value(r.ok() ? Errc::kInternal : r.error().code);
  });
  const bool finished = done.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  if (!finished) {
    // Unblock the reader so that the test can end.
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) {
      ::close(fd);
    }
  }
  reader.join();
  ASSERT_TRUE(finished) << "open_read blocked on a FIFO";
  EXPECT_EQ(static_cast<int>(done.get()), static_cast<int>(Errc::kBadPath));
  // Neither create nor remove touches it.
  expect_code(tree().create("pipe"), Errc::kBadPath, "create(pipe)");
  expect_code(tree().remove("pipe"), Errc::kBadPath, "remove(pipe)");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// ---- bad relative paths -----------------------------------------------------------

TEST_F(UserTreeTest, RefusesPathsOutsideTheTree) {
  write_file(home_ / "x", "x");
  for (const std::string& path :
       {std::string("../x"), std::string("../../../outside/secret.txt"), std::string("/etc/passwd"),
        std::string((outside_ / "secret.txt").string()), std::string(""), std::string("."),
        std::string(".."), std::string("./x"), std::string("a//x"), std::string("x/"),
        std::string("sub/../x"), std::string(".sfs-tmp-abc"), std::string("d/.sfs-x"),
        std::string("x\0y", 3)}) {
    expect_code(tree().open_read(path), Errc::kBadPath, "open_read(" + path + ")");
    expect_code(tree().create(path), Errc::kBadPath, "create(" + path + ")");
    expect_code(tree().remove(path), Errc::kBadPath, "remove(" + path + ")");
  }
  EXPECT_EQ(read_file(outside_ / "secret.txt"), "top secret");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"x"}));
}

// ---- symlinks -------------------------------------------------------------------------

TEST_F(UserTreeTest, OpenReadRefusesSymlinks) {
  plant_symlinks();
  for (const char* path : {"out_file", "out_dir", "in_file", "in_dir", "dangling"}) {
    expect_code(tree().open_read(path), Errc::kBadPath, std::string("open_read(") + path + ")");
  }
  expect_outside_untouched();
}

TEST_F(UserTreeTest, CreateRefusesSymlinks) {
  plant_symlinks();
  for (const char* path : {"out_file", "out_dir", "in_file", "in_dir", "dangling"}) {
    expect_code(tree().create(path), Errc::kBadPath, std::string("create(") + path + ")");
  }
  expect_outside_untouched();
  // No temp file was left behind either.
  EXPECT_EQ(names_in(home_),
            std::vector<std::string>(
                {"dangling", "in_dir", "in_file", "inside.txt", "out_dir", "out_file", "sub"}));
}

TEST_F(UserTreeTest, RemoveRefusesSymlinks) {
  plant_symlinks();
  for (const char* path : {"out_file", "out_dir", "in_file", "in_dir", "dangling"}) {
    expect_code(tree().remove(path), Errc::kBadPath, std::string("remove(") + path + ")");
  }
  expect_outside_untouched();
}

TEST_F(UserTreeTest, OpenReadThroughSymlinkedDirectoryIsBadPath) {
  plant_symlinks();
  expect_code(tree().open_read("out_dir/secret.txt"), Errc::kBadPath, "open_read(out_dir/...)");
  expect_code(tree().open_read("in_dir/file.txt"), Errc::kBadPath, "open_read(in_dir/...)");
  expect_outside_untouched();
}

TEST_F(UserTreeTest, CreateThroughSymlinkedDirectoryIsBadPath) {
  plant_symlinks();
  expect_code(tree().create("out_dir/new.txt"), Errc::kBadPath, "create(out_dir/new.txt)");
  expect_code(tree().create("out_dir/secret.txt"), Errc::kBadPath, "create(out_dir/secret.txt)");
  expect_code(tree().create("in_dir/file.txt"), Errc::kBadPath, "create(in_dir/file.txt)");
  expect_outside_untouched();
  EXPECT_EQ(names_in(home_ / "sub"), std::vector<std::string>({"file.txt"}));
}

TEST_F(UserTreeTest, RemoveThroughSymlinkedDirectoryIsBadPath) {
  plant_symlinks();
  expect_code(tree().remove("out_dir/secret.txt"), Errc::kBadPath, "remove(out_dir/secret.txt)");
  expect_code(tree().remove("in_dir/file.txt"), Errc::kBadPath, "remove(in_dir/file.txt)");
  expect_outside_untouched();
}

TEST_F(UserTreeTest, SymlinksDeeperInThePathAreRefused) {
  plant_symlinks();
  ASSERT_TRUE(fs::create_directories(home_ / "a" / "b"));
  fs::create_directory_symlink(outside_, home_ / "a" / "b" / "link");
  expect_code(tree().open_read("a/b/link/secret.txt"), Errc::kBadPath, "open_read");
  expect_code(tree().create("a/b/link/new.txt"), Errc::kBadPath, "create");
  expect_code(tree().remove("a/b/link/secret.txt"), Errc::kBadPath, "remove");
  expect_outside_untouched();
}

// ---- create / remove --------------------------------------------------------------

TEST_F(UserTreeTest, CreateNeedsAnExistingParent) {
  expect_code(tree().create("nodir/x"), Errc::kNotFound, "create(nodir/x)");
  EXPECT_TRUE(names_in(home_).empty());
}

TEST_F(UserTreeTest, CreateOverDirectoryIsIsDir) {
  ASSERT_TRUE(fs::create_directory(home_ / "docs"));
  expect_code(tree().create("docs"), Errc::kIsDir, "create(docs)");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"docs"}));
}

TEST_F(UserTreeTest, CreateInSubdirectory) {
  ASSERT_TRUE(fs::create_directory(home_ / "docs"));
  ASSERT_TRUE(put_file("docs/a b.txt", "content").ok());
  EXPECT_EQ(read_file(home_ / "docs" / "a b.txt"), "content");
  EXPECT_EQ(names_in(home_ / "docs"), std::vector<std::string>({"a b.txt"}));
}

TEST_F(UserTreeTest, RemoveFile) {
  write_file(home_ / "gone.txt", "bye");
  ASSERT_TRUE(fs::create_directory(home_ / "d"));
  write_file(home_ / "d" / "gone too", "bye");
  ASSERT_TRUE(tree().remove("gone.txt").ok());
  ASSERT_TRUE(tree().remove("d/gone too").ok());
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"d"}));
  EXPECT_TRUE(names_in(home_ / "d").empty());
  expect_code(tree().remove("gone.txt"), Errc::kNotFound, "second remove");
}

TEST_F(UserTreeTest, RemoveDirectoryIsIsDir) {
  ASSERT_TRUE(fs::create_directory(home_ / "docs"));
  expect_code(tree().remove("docs"), Errc::kIsDir, "remove(docs)");
  EXPECT_TRUE(fs::is_directory(home_ / "docs"));
}

TEST_F(UserTreeTest, RemoveMissingIsNotFound) {
  expect_code(tree().remove("missing"), Errc::kNotFound, "remove(missing)");
  expect_code(tree().remove("nodir/missing"), Errc::kNotFound, "remove(nodir/missing)");
}

// ---- list ---------------------------------------------------------------------------

TEST_F(UserTreeTest, ListEmpty) {
  auto entries = tree().list();
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
}

TEST_F(UserTreeTest, ListSortedWithTypesSizesAndTimes) {
  write_file(home_ / "b.txt", "12345");
  write_file(home_ / "a b.txt", "");
  write_file(home_ / "Z", std::string(70000, 'z'));
  ASSERT_TRUE(fs::create_directory(home_ / "c dir"));
  write_file(home_ / "c dir" / "nested.txt", "not listed");
  // Left out: temp files, symlinks, special files.
  write_file(home_ / ".sfs-tmp-0123456789abcdef01234567", "partial");
  fs::create_symlink("b.txt", home_ / "link");
  fs::create_directory_symlink(outside_, home_ / "dirlink");
  ASSERT_EQ(::mkfifo((home_ / "fifo").c_str(), 0600), 0);
  // A dot file that is not reserved is listed.
  write_file(home_ / ".profile", "p");

  const struct timespec times[2] = {{1234567890, 0}, {1234567890, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (home_ / "b.txt").c_str(), times, 0), 0);
  const struct timespec later[2] = {{1700000000, 500}, {1700000000, 500}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (home_ / "c dir").c_str(), later, 0), 0);
  struct stat dir_stat {};
  ASSERT_EQ(::stat((home_ / "c dir").c_str(), &dir_stat), 0);

  auto entries = tree().list();
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) {
    names.push_back(e.name);
  }
  EXPECT_EQ(names, std::vector<std::string>({".profile", "Z", "a b.txt", "b.txt", "c dir"}));
  ASSERT_EQ(entries->size(), 5U);
  const auto& e = *entries;
  EXPECT_FALSE(e[0].is_dir);
  EXPECT_EQ(e[0].size, 1U);
  EXPECT_FALSE(e[1].is_dir);
  EXPECT_EQ(e[1].size, 70000U);
  EXPECT_FALSE(e[2].is_dir);
  EXPECT_EQ(e[2].size, 0U);
  EXPECT_FALSE(e[3].is_dir);
  EXPECT_EQ(e[3].size, 5U);
  EXPECT_EQ(e[3].mtime, 1234567890);
  EXPECT_TRUE(e[4].is_dir);
  EXPECT_EQ(e[4].size, static_cast<std::uint64_t>(dir_stat.st_size));
  EXPECT_EQ(e[4].mtime, 1700000000);
}

TEST_F(UserTreeTest, ListHidesUploadInProgress) {
  auto up = tree().create("new.txt");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(up->write("abc", 3).ok());
  ASSERT_EQ(names_in(home_).size(), 1U);  // the temp file
  auto before = tree().list();
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty());
  ASSERT_TRUE(up->commit().ok());
  auto after = tree().list();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1U);
  EXPECT_EQ((*after)[0].name, "new.txt");
  EXPECT_EQ((*after)[0].size, 3U);
  EXPECT_FALSE((*after)[0].is_dir);
}

// A listing takes unchanged files' digests from the store's cache: any
// change since the last listing must show.
TEST_F(UserTreeTest, ListShowsADigestChangedSinceTheLastListing) {
  const auto digest_listed = [this] {
    auto entries = tree().list();
    return entries.ok() && entries->size() == 1 ? (*entries)[0].digest : std::string("?");
  };
  ASSERT_TRUE(put_hashed("a.txt", "abc", kAbc).ok());
  EXPECT_EQ(digest_listed(), kAbc);
  EXPECT_EQ(digest_listed(), kAbc);
  // Replaced (another inode), then its attribute rewritten in place.
  ASSERT_TRUE(put_hashed("a.txt", "hello", kHello).ok());
  EXPECT_EQ(digest_listed(), kHello);
  // (sfs itself never rewrites a stored digest: an in-place change within
  // one tick of a coarse kernel clock would keep the change time, so the
  // test rewrites it until the change time has moved.)
  struct stat before {};
  ASSERT_EQ(::stat((home_ / "a.txt").c_str(), &before), 0);
  for (int i = 0; i < 1000; ++i) {
    set_xattr(home_ / "a.txt", kAbc);
    struct stat now {};
    ASSERT_EQ(::stat((home_ / "a.txt").c_str(), &now), 0);
    if (now.st_ctim.tv_sec != before.st_ctim.tv_sec ||
        now.st_ctim.tv_nsec != before.st_ctim.tv_nsec) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(digest_listed(), kAbc);
  // Another hard link: no digest, cached or not.
  fs::create_hard_link(home_ / "a.txt", outside_ / "link");
  EXPECT_EQ(digest_listed(), "");
}

TEST_F(UserTreeTest, ListWithPropsGivesNoneForAFileWithOtherHardLinks) {
  ASSERT_TRUE(put_file("a.txt", "abc").ok());
  ASSERT_TRUE(put_file("b.txt", "abc").ok());
  const DeadProp p{"urn:test:", "p", "", "v"};
  ASSERT_TRUE(tree().patch_dead_props("a.txt", {PropChange{false, p}}).ok());
  ASSERT_TRUE(tree().patch_dead_props("b.txt", {PropChange{false, p}}).ok());
  fs::create_hard_link(home_ / "a.txt", outside_ / "link");
  auto listed = tree().list_with_props("");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].entry.name, "a.txt");
  EXPECT_TRUE((*listed)[0].dead.empty());  // the record belongs to both names
  EXPECT_EQ((*listed)[1].dead, std::vector<DeadProp>{p});
}

TEST_F(UserTreeTest, ListShowsStoredDigests) {
  ASSERT_TRUE(put_hashed("abc.txt", "abc", kAbc).ok());
  ASSERT_TRUE(put_file("plain.txt", "abc").ok());
  write_file(home_ / "upper.txt", "abc");
  std::string upper = kAbc;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  set_xattr(home_ / "upper.txt", upper);  // not well-formed: no digest
  write_file(home_ / "short.txt", "abc");
  set_xattr(home_ / "short.txt", std::string(kAbc).substr(0, 31));
  ASSERT_TRUE(fs::create_directory(home_ / "dir"));
  set_xattr(home_ / "dir", kAbc);  // directories have no digest
  auto entries = tree().list();
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 5U);
  const auto& e = *entries;
  EXPECT_EQ(e[0].name, "abc.txt");
  EXPECT_EQ(e[0].digest, kAbc);
  EXPECT_EQ(e[1].name, "dir");
  EXPECT_TRUE(e[1].is_dir);
  EXPECT_EQ(e[1].digest, "");
  EXPECT_EQ(e[2].name, "plain.txt");
  EXPECT_EQ(e[2].digest, "");
  EXPECT_EQ(e[3].name, "short.txt");
  EXPECT_EQ(e[3].digest, "");
  EXPECT_EQ(e[4].name, "upper.txt");
  EXPECT_EQ(e[4].digest, "");
}

TEST_F(UserTreeTest, ListHidesPartialUploads) {
  ASSERT_TRUE(put_file("kept.txt", "kept").ok());
  {
    auto up = tree().create("big.bin", 10);
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE(up->write("hello", 5).ok());
    auto during = tree().list();
    ASSERT_TRUE(during.ok());
    ASSERT_EQ(during->size(), 1U);
    EXPECT_EQ((*during)[0].name, "kept.txt");
  }
  // The partial stays on disk, hidden.
  EXPECT_EQ(names_in(home_).size(), 2U);
  auto after = tree().list();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1U);
  EXPECT_EQ((*after)[0].name, "kept.txt");
  EXPECT_EQ((*after)[0].size, 4U);
}

TEST_F(UserTreeTest, CreateResumableRefusesWhatCreateRefuses) {
  ASSERT_TRUE(fs::create_directory(home_ / "docs"));
  expect_code(tree().create("docs", 5), Errc::kIsDir, "create(docs, 5)");
  expect_code(tree().create("nodir/x", 5), Errc::kNotFound, "create(nodir/x, 5)");
  expect_code(tree().create("../x", 5), Errc::kBadPath, "create(../x, 5)");
  expect_code(tree().create(".sfs-part-x", 5), Errc::kBadPath, "create(.sfs-part-x, 5)");
  fs::create_symlink(outside_ / "secret.txt", home_ / "link");
  expect_code(tree().create("link", 5), Errc::kBadPath, "create(link, 5)");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"docs", "link"}));
  EXPECT_EQ(names_in(outside_), std::vector<std::string>({"secret.txt"}));
}

// ---- verify ---------------------------------------------------------------------------

std::string status_name(FileCheck::Status status) {
  switch (status) {
    case FileCheck::Status::kOk:
      return "ok";
    case FileCheck::Status::kCorrupt:
      return "corrupt";
    case FileCheck::Status::kUnhashed:
      return "unhashed";
    case FileCheck::Status::kUnreadable:
      return "unreadable";
  }
  return "?";
}

// "name:status" for each check, in order.
std::vector<std::string> describe(const std::vector<FileCheck>& checks) {
  std::vector<std::string> out;
  for (const FileCheck& c : checks) {
    out.push_back(c.name + ":" + status_name(c.status));
  }
  return out;
}

TEST_F(UserTreeTest, VerifyEmptyTree) {
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok()) << checks.error().message;
  EXPECT_TRUE(checks->empty());
}

TEST_F(UserTreeTest, VerifyOkCorruptAndUnhashed) {
  ASSERT_TRUE(put_hashed("good.txt", "abc", kAbc).ok());
  ASSERT_TRUE(put_hashed("bad.txt", "hello", kHello).ok());
  ASSERT_TRUE(put_hashed("empty", "", kEmptyDigest).ok());
  ASSERT_TRUE(put_file("old.txt", "no digest").ok());
  flip_byte(home_ / "bad.txt", 2);
  ASSERT_EQ(read_file(home_ / "bad.txt"), "hemlo");
  ASSERT_EQ(::getxattr((home_ / "bad.txt").c_str(), "user.sfs.xxh128", nullptr, 0), 32);
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok()) << checks.error().message;
  EXPECT_EQ(describe(*checks), std::vector<std::string>({"bad.txt:corrupt", "empty:ok",
                                                         "good.txt:ok", "old.txt:unhashed"}));
}

TEST_F(UserTreeTest, VerifyCatchesAFlipAnywhere) {
  std::string content(70000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(i * 31 + i / 251);
  }
  crypto::Digest hash;
  hash.update(content.data(), content.size());
  const std::string digest = hash.hex_digest();
  for (const std::uint64_t at : {std::uint64_t{0}, std::uint64_t{65535}, std::uint64_t{69999}}) {
    ASSERT_TRUE(put_hashed("f.bin", content, digest).ok());
    auto clean = tree().verify();
    ASSERT_TRUE(clean.ok());
    EXPECT_EQ(describe(*clean), std::vector<std::string>({"f.bin:ok"})) << at;
    flip_byte(home_ / "f.bin", at);
    auto checks = tree().verify();
    ASSERT_TRUE(checks.ok());
    EXPECT_EQ(describe(*checks), std::vector<std::string>({"f.bin:corrupt"})) << at;
  }
}

TEST_F(UserTreeTest, VerifyAppendedOrTruncatedIsCorrupt) {
  ASSERT_TRUE(put_hashed("grown.txt", "abc", kAbc).ok());
  ASSERT_TRUE(put_hashed("shrunk.txt", "abc", kAbc).ok());
  {
    std::ofstream out(home_ / "grown.txt", std::ios::binary | std::ios::app);
    out << "d";
  }
  fs::resize_file(home_ / "shrunk.txt", 2);
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(describe(*checks),
            std::vector<std::string>({"grown.txt:corrupt", "shrunk.txt:corrupt"}));
}

TEST_F(UserTreeTest, VerifyWalksDirectoriesAndSkipsWhatListLeavesOut) {
  ASSERT_TRUE(put_hashed("a.txt", "abc", kAbc).ok());
  ASSERT_TRUE(fs::create_directory(home_ / "dir"));
  set_xattr(home_ / "dir", kAbc);
  // Files below the top are checked (by their path); partial or temp files,
  // symlinks and special files are not, at any depth.
  write_file(home_ / "dir" / "nested.txt", "x");
  set_xattr(home_ / "dir" / "nested.txt", kAbc);
  fs::create_symlink("../a.txt", home_ / "dir" / "link");
  write_file(home_ / "dir" / ".sfs-tmp-0123456789abcdef01234567", "x");
  {
    auto partial = tree().create("big.bin", 10);
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE(partial->write("hello", 5).ok());
  }
  write_file(home_ / ".sfs-tmp-0123456789abcdef01234567", "x");
  fs::create_symlink("a.txt", home_ / "link");
  ASSERT_EQ(::mkfifo((home_ / "fifo").c_str(), 0600), 0);
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok()) << checks.error().message;
  EXPECT_EQ(describe(*checks), std::vector<std::string>({"a.txt:ok", "dir/nested.txt:corrupt"}));
}

TEST_F(UserTreeTest, VerifyStoresNothing) {
  ASSERT_TRUE(put_file("old.txt", "abc").ok());
  for (int i = 0; i < 2; ++i) {
    auto checks = tree().verify();
    ASSERT_TRUE(checks.ok());
    EXPECT_EQ(describe(*checks), std::vector<std::string>({"old.txt:unhashed"}));
  }
  auto read = tree().open_read("old.txt");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->stored_digest(), "");
  // Once stored (as HASH does), the file verifies.
  ASSERT_TRUE(read->store_digest(kAbc).ok());
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(describe(*checks), std::vector<std::string>({"old.txt:ok"}));
}

TEST_F(UserTreeTest, VerifyWithAMalformedStoredDigestIsUnhashed) {
  write_file(home_ / "f.txt", "abc");
  set_xattr(home_ / "f.txt", std::string(32, 'x'));
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(describe(*checks), std::vector<std::string>({"f.txt:unhashed"}));
}

}  // namespace
}  // namespace sfs::storage
