// Hard links planted in a user's tree (storage/links.h): refused for
// reading, overwriting, moving onto and resuming; listed without a digest;
// removable. The linked file outside the tree is never read or written.

#include "storage/links.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/user_tree.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;
using test::names_in;
using test::read_file;
using test::write_file;

constexpr char kSecret[] = "top secret";

class LinksTest : public test::AliceTreeTest {
 protected:
  LinksTest() : AliceTreeTest("sfs-links", true) {}

  fs::path secret() const { return outside_ / "secret.txt"; }

  // Plants `name` in alice's tree as a second name of the outside secret.
  void plant_link(const std::string& name) {
    ASSERT_EQ(::link(secret().c_str(), (home_ / name).c_str()), 0) << name;
  }

  // The names of the partial upload files in alice's top directory.
  std::vector<std::string> partials() const {
    std::vector<std::string> out;
    for (const std::string& name : names_in(home_)) {
      if (name.starts_with(".sfs-part-")) {
        out.push_back(name);
      }
    }
    return out;
  }

  // Leaves a partial upload of `name` (announced `size`) holding `held`.
  void leave_partial(const std::string& name, std::uint64_t size, const std::string& held) {
    auto up = tree().create(name, size);
    ASSERT_TRUE(up.ok()) << up.error().message;
    ASSERT_TRUE(up->write(held.data(), held.size()).ok());
  }

  void expect_secret_untouched() {
    EXPECT_EQ(read_file(secret()), kSecret);
    char value[128];
    EXPECT_LT(::getxattr(secret().c_str(), "user.sfs.xxh128", value, sizeof(value)), 0);
  }
};

template <typename T>
void expect_linked_refusal(const Result<T>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " succeeded";
  EXPECT_EQ(r.error().code, Errc::kBadPath) << what;
  EXPECT_EQ(r.error().message.rfind("path refused (file has other hard links): ", 0), 0U)
      << what << ": " << r.error().message;
}

TEST(LinkChecks, SingleAndMultipleNames) {
  struct stat st {};
  st.st_mode = S_IFREG | 0600;
  st.st_nlink = 1;
  st.st_uid = ::geteuid();
  EXPECT_FALSE(has_other_links(st));
  EXPECT_TRUE(check_single_link(st, "a").ok());
  EXPECT_TRUE(is_own_single_file(st));
  st.st_nlink = 2;
  EXPECT_TRUE(has_other_links(st));
  EXPECT_EQ(check_single_link(st, "a/b").error().message,
            "path refused (file has other hard links): a/b");
  EXPECT_FALSE(is_own_single_file(st));
  st.st_nlink = 1;
  st.st_uid = ::geteuid() + 1;
  EXPECT_FALSE(is_own_single_file(st));
  // Directories always have several links; they are not files.
  st.st_mode = S_IFDIR | 0700;
  st.st_nlink = 5;
  EXPECT_FALSE(has_other_links(st));
  EXPECT_TRUE(check_single_link(st, "d").ok());
}

TEST_F(LinksTest, ReadingALinkedFileIsRefused) {
  plant_link("stolen.txt");
  expect_linked_refusal(tree().open_read("stolen.txt"), "open_read");
  EXPECT_EQ(tree().size_of("stolen.txt"), 0U);
  // VERIFY reads nothing of it either, and records no digest on it.
  auto checks = tree().verify();
  ASSERT_TRUE(checks.ok());
  ASSERT_EQ(checks->size(), 1U);
  EXPECT_EQ((*checks)[0].status, FileCheck::Status::kUnreadable);
  expect_secret_untouched();
}

TEST_F(LinksTest, AFileLinkedInsideTheTreeIsRefusedToo) {
  ASSERT_TRUE(put_file("mine.txt", "mine").ok());
  ASSERT_EQ(::link((home_ / "mine.txt").c_str(), (home_ / "twin.txt").c_str()), 0);
  expect_linked_refusal(tree().open_read("mine.txt"), "open_read(mine.txt)");
  expect_linked_refusal(tree().open_read("twin.txt"), "open_read(twin.txt)");
  // Once one name is removed, the other is an ordinary file again.
  ASSERT_TRUE(tree().remove("twin.txt").ok());
  EXPECT_TRUE(tree().open_read("mine.txt").ok());
}

TEST_F(LinksTest, OverwritingALinkedFileIsRefused) {
  plant_link("stolen.txt");
  expect_linked_refusal(tree().create("stolen.txt"), "create");
  expect_linked_refusal(tree().create("stolen.txt", 100), "create resumable");
  EXPECT_EQ(names_in(home_), std::vector<std::string>({"stolen.txt"}));
  expect_secret_untouched();
}

TEST_F(LinksTest, MovingOntoALinkedFileIsRefused) {
  plant_link("stolen.txt");
  ASSERT_TRUE(put_file("a.txt", "aaa").ok());
  expect_linked_refusal(tree().move("a.txt", "stolen.txt", 4096), "move");
  ASSERT_TRUE(fs::create_directory(home_ / "d"));
  plant_link("d/a.txt");
  expect_linked_refusal(tree().move("a.txt", "d", 4096), "move into d");
  EXPECT_EQ(read_file(home_ / "a.txt"), "aaa");
  expect_secret_untouched();
  // Moving the linked name itself only renames this name.
  ASSERT_TRUE(tree().remove("d/a.txt").ok());
  auto moved = tree().move("stolen.txt", "d/renamed.txt", 4096);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  expect_secret_untouched();
}

TEST_F(LinksTest, ListedWithoutADigestAndRemovable) {
  plant_link("stolen.txt");
  ASSERT_EQ(
      ::setxattr(secret().c_str(), "user.sfs.xxh128", "06b05ab6733a618578af5f94892f3950", 32, 0),
      0);
  auto listed = tree().list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].name, "stolen.txt");
  EXPECT_EQ((*listed)[0].size, sizeof(kSecret) - 1);
  EXPECT_EQ((*listed)[0].digest, "");
  auto stat = tree().stat("stolen.txt");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->digest, "");
  // rm drops this name only; the data stays under its other name.
  ASSERT_TRUE(tree().remove("stolen.txt").ok());
  EXPECT_TRUE(names_in(home_).empty());
  EXPECT_EQ(read_file(secret()), kSecret);
}

TEST_F(LinksTest, APartialLinkedElsewhereIsDroppedNotWrittenOrHashed) {
  // An upload of "x.bin" (20 bytes) left a partial; someone replaces it with
  // a hard link to the secret.
  leave_partial("x.bin", 20, "hello");
  ASSERT_EQ(partials().size(), 1U);
  const std::string partial = partials()[0];
  ASSERT_EQ(::unlink((home_ / partial).c_str()), 0);
  plant_link(partial);
  auto up = tree().create("x.bin", 20);
  ASSERT_TRUE(up.ok()) << up.error().message;
  // Nothing to resume from: no offer of the secret's prefix (no digest oracle).
  EXPECT_EQ(up->held(), 0U);
  ASSERT_TRUE(up->continue_at(0).ok());
  const std::string data(20, 'u');
  ASSERT_TRUE(up->write(data.data(), data.size()).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(home_ / "x.bin"), data);
  expect_secret_untouched();
  struct stat st {};
  ASSERT_EQ(::stat(secret().c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1U);  // the planted name is gone
  EXPECT_TRUE(partials().empty());
}

TEST_F(LinksTest, APartialWithASecondNameIsDropped) {
  // A partial of ours that someone linked elsewhere (to read what the
  // upload writes next) is not written on either.
  leave_partial("y.bin", 10, "abc");
  ASSERT_EQ(partials().size(), 1U);
  const fs::path spy = outside_ / "spy";
  ASSERT_EQ(::link((home_ / partials()[0]).c_str(), spy.c_str()), 0);
  auto up = tree().create("y.bin", 10);
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->held(), 0U);
  ASSERT_TRUE(up->write("0123456789", 10).ok());
  ASSERT_TRUE(up->commit().ok());
  EXPECT_EQ(read_file(spy), "abc");
  EXPECT_EQ(read_file(home_ / "y.bin"), "0123456789");
}

TEST_F(LinksTest, APartialOfAnotherOwnerIsDropped) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to give a file another owner";
  }
  leave_partial("z.bin", 10, "abc");
  ASSERT_EQ(partials().size(), 1U);
  const fs::path planted = home_ / partials()[0];
  ASSERT_EQ(::chown(planted.c_str(), 65534, 65534), 0);
  auto up = tree().create("z.bin", 10);
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->held(), 0U);
  // The foreign file was unlinked, not truncated: a fresh one took its name.
  struct stat st {};
  ASSERT_EQ(::stat(planted.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(LinksTest, AnOwnPartialStillResumes) {
  leave_partial("ok.bin", 10, "hello");
  auto up = tree().create("ok.bin", 10);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->held(), 5U);
}

}  // namespace
}  // namespace sfs::storage
