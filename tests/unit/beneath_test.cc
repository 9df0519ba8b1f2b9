#include "storage/beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;

TEST(SplitParentTest, Cases) {
  EXPECT_EQ(split_parent("c"), std::make_pair(std::string("."), std::string("c")));
  EXPECT_EQ(split_parent("a/b/c"), std::make_pair(std::string("a/b"), std::string("c")));
  EXPECT_EQ(split_parent("a/c d"), std::make_pair(std::string("a"), std::string("c d")));
}

TEST(CheckRelativeTest, Accepts) {
  for (const char* path : {"a", "a/b", "a b/c", "...", ".hidden", "x.sfs-"}) {
    EXPECT_TRUE(check_relative(path).ok()) << path;
  }
}

TEST(CheckRelativeTest, Refuses) {
  for (const std::string& path :
       {std::string(""), std::string("/"), std::string("/a"), std::string("."), std::string(".."),
        std::string("../a"), std::string("a/.."), std::string("a/./b"), std::string("a//b"),
        std::string("a/"), std::string(".sfs-tmp-x"), std::string("a/.sfs-x"),
        std::string("a\0b", 3)}) {
    auto r = check_relative(path);
    ASSERT_FALSE(r.ok()) << "'" << path << "'";
    EXPECT_EQ(r.error().code, Errc::kBadPath) << "'" << path << "'";
  }
}

TEST(ErrnoErrorTest, Mapping) {
  const struct {
    int err;
    Errc code;
  } cases[] = {
      {ENOENT, Errc::kNotFound}, {ENOTDIR, Errc::kNotFound}, {ELOOP, Errc::kBadPath},
      {EXDEV, Errc::kBadPath},   {EISDIR, Errc::kIsDir},     {ENAMETOOLONG, Errc::kBadPath},
      {ENOSPC, Errc::kIo},       {EDQUOT, Errc::kIo},        {EFBIG, Errc::kTooLarge},
      {EACCES, Errc::kIo},       {EIO, Errc::kIo},
  };
  for (const auto& c : cases) {
    const Error e = errno_error(c.err, "some/name");
    EXPECT_EQ(e.code, c.code) << "errno " << c.err;
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_NE(errno_error(ENOENT, "some/name").message.find("some/name"), std::string::npos);
}

class OpenBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    ASSERT_TRUE(fs::create_directories(base_ / "top" / "sub"));
    std::ofstream(base_ / "top" / "sub" / "f") << "f";
    std::ofstream(base_ / "secret") << "s";
    fs::create_symlink(base_ / "secret", base_ / "top" / "link");
    dir_ = ::open((base_ / "top").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_, 0);
  }
  void TearDown() override { ::close(dir_); }

  test::TempDir tmp_{"sfs-beneath"};
  const fs::path base_ = tmp_.path();
  int dir_ = -1;
};

TEST_F(OpenBeneathTest, OpensBeneath) {
  auto fd = open_beneath(dir_, "sub/f", O_RDONLY);
  ASSERT_TRUE(fd.ok()) << fd.error().message;
  EXPECT_TRUE(fd->valid());
  char c = 0;
  EXPECT_EQ(::read(fd->get(), &c, 1), 1);
  EXPECT_EQ(c, 'f');
  // O_CLOEXEC is always added.
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(OpenBeneathTest, RefusesEscapesAndSymlinks) {
  for (const char* path : {"../secret", "sub/../../secret", "link", "/etc/passwd"}) {
    auto fd = open_beneath(dir_, path, O_RDONLY);
    ASSERT_FALSE(fd.ok()) << path;
    EXPECT_EQ(fd.error().code, Errc::kBadPath) << path << ": " << fd.error().message;
  }
}

TEST_F(OpenBeneathTest, CreatesWithMode) {
  auto fd = open_beneath(dir_, "new", O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_TRUE(fd.ok()) << fd.error().message;
  EXPECT_EQ(fs::status(base_ / "top" / "new").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace sfs::storage
