#include "storage/digest_xattr.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "base/unique_fd.h"
#include "test_util.h"

namespace sfs::storage {
namespace {

namespace fs = std::filesystem;

constexpr char kDigest[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kEmptyDigest[] = "99aa06d3014798d86001c324468d497f";

class DigestXattrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(base_.empty()) << "mkdtemp failed";
    file_ = UniqueFd(::open((base_ / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(file_.valid());
    // The tests need user xattrs on the temp filesystem.
    ASSERT_EQ(::fsetxattr(file_.get(), "user.sfs.probe", "1", 1, 0), 0)
        << "no user xattrs on " << base_;
    ASSERT_EQ(::fremovexattr(file_.get(), "user.sfs.probe"), 0);
  }
  void TearDown() override { file_.reset(); }

  // Stores `value` under the digest attribute, bypassing write_digest_xattr.
  void set_raw(const std::string& value) {
    ASSERT_EQ(::fsetxattr(file_.get(), kDigestXattr, value.data(), value.size(), 0), 0);
  }

  // The raw attribute value, or "<none>".
  std::string raw() const {
    char value[256];
    const ssize_t n = ::fgetxattr(file_.get(), kDigestXattr, value, sizeof(value));
    return n < 0 ? std::string("<none>") : std::string(value, static_cast<std::size_t>(n));
  }

  test::TempDir tmp_{"sfs-xattr"};
  const fs::path base_ = tmp_.path();
  UniqueFd file_;
};

TEST_F(DigestXattrTest, AttributeName) { EXPECT_STREQ(kDigestXattr, "user.sfs.xxh128"); }

TEST_F(DigestXattrTest, NoAttributeReadsEmpty) { EXPECT_EQ(read_digest_xattr(file_.get()), ""); }

TEST_F(DigestXattrTest, WriteThenRead) {
  ASSERT_TRUE(write_digest_xattr(file_.get(), kDigest).ok());
  EXPECT_EQ(raw(), kDigest);  // exactly the 32 digits, no terminator
  EXPECT_EQ(read_digest_xattr(file_.get()), kDigest);
  // Visible through another descriptor of the same file.
  const UniqueFd other(::open((base_ / "f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(other.valid());
  EXPECT_EQ(read_digest_xattr(other.get()), kDigest);
}

TEST_F(DigestXattrTest, WriteReplaces) {
  ASSERT_TRUE(write_digest_xattr(file_.get(), kDigest).ok());
  ASSERT_TRUE(write_digest_xattr(file_.get(), kEmptyDigest).ok());
  EXPECT_EQ(raw(), kEmptyDigest);
  EXPECT_EQ(read_digest_xattr(file_.get()), kEmptyDigest);
}

TEST_F(DigestXattrTest, MalformedValuesReadEmpty) {
  const std::string digest = kDigest;
  std::string upper = digest;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const std::string& value :
       {std::string(""), std::string("x"), digest.substr(0, 31), digest + "0", digest + '\0',
        digest + "\n", digest + digest, upper, digest.substr(0, 31) + "g", std::string(32, ' '),
        std::string(32, '\0'), std::string(32, '-')}) {
    set_raw(value);
    EXPECT_EQ(read_digest_xattr(file_.get()), "") << "'" << value << "'";
  }
  // A well-formed value after all that reads back.
  set_raw(digest);
  EXPECT_EQ(read_digest_xattr(file_.get()), digest);
}

TEST_F(DigestXattrTest, MalformedValueWrittenReadsEmpty) {
  ASSERT_TRUE(write_digest_xattr(file_.get(), std::string(32, 'g')).ok());
  EXPECT_EQ(read_digest_xattr(file_.get()), "");
}

TEST_F(DigestXattrTest, BadDescriptor) {
  EXPECT_EQ(read_digest_xattr(-1), "");
  auto r = write_digest_xattr(-1, kDigest);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kIo);
}

TEST_F(DigestXattrTest, ContentIsUntouched) {
  ASSERT_EQ(::write(file_.get(), "data", 4), 4);
  ASSERT_TRUE(write_digest_xattr(file_.get(), kDigest).ok());
  EXPECT_EQ(fs::file_size(base_ / "f"), 4U);
}

}  // namespace
}  // namespace sfs::storage
