#include "protocol/path.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "protocol/limits.h"
#include "test_util.h"

namespace sfs::protocol {
namespace {

void expect_bad_path(const std::string& path) {
  auto r = validate_remote_path(path);
  ASSERT_FALSE(r.ok()) << "accepted: '" << path << "'";
  EXPECT_EQ(r.error().code, Errc::kBadPath) << "'" << path << "'";
  EXPECT_FALSE(r.error().message.empty());
}

void expect_good_path(const std::string& path) {
  auto r = validate_remote_path(path);
  EXPECT_TRUE(r.ok()) << "refused: '" << path << "': " << (r.ok() ? "" : r.error().message);
}

TEST(ValidateRemotePathTest, SimplePathsAccepted) {
  expect_good_path("a");
  expect_good_path("a.txt");
  expect_good_path("docs/a.txt");
  expect_good_path("a/b/c/d/e");
  expect_good_path("...");
  expect_good_path("..a");
  expect_good_path("a..");
  expect_good_path(".hidden");
  expect_good_path(".sfs");
  expect_good_path("sfs-tmp");
  expect_good_path("x.sfs-tmp-1");
  expect_good_path("a/.sfs");
}

TEST(ValidateRemotePathTest, EmptyAndAbsoluteRefused) {
  expect_bad_path("");
  expect_bad_path("/");
  expect_bad_path("/abs");
  expect_bad_path("/etc/passwd");
  expect_bad_path("//a");
}

TEST(ValidateRemotePathTest, EmptyComponentsRefused) {
  expect_bad_path("a//b");
  expect_bad_path("a/");
  expect_bad_path("a/b/");
  expect_bad_path("a///");
}

TEST(ValidateRemotePathTest, DotComponentsRefused) {
  expect_bad_path(".");
  expect_bad_path("..");
  expect_bad_path("a/../b");
  expect_bad_path("a/./b");
  expect_bad_path("../x");
  expect_bad_path("./x");
  expect_bad_path("a/..");
  expect_bad_path("a/.");
  expect_bad_path("../../etc/passwd");
}

TEST(ValidateRemotePathTest, NulRefused) {
  expect_bad_path(std::string("\0", 1));
  expect_bad_path(std::string("a\0b", 3));
  expect_bad_path(std::string("a/b\0", 4));
}

TEST(ValidateRemotePathTest, TotalLengthLimit) {
  // 4096 bytes: components of 254 bytes and slashes, then a short one.
  std::string path;
  while (path.size() + 255 < kMaxPathBytes) {
    path += std::string(254, 'x') + "/";
  }
  path += std::string(kMaxPathBytes - path.size(), 'y');
  ASSERT_EQ(path.size(), 4096U);
  expect_good_path(path);
  expect_bad_path(path + "z");
  // Check the 4097 path fails for its length, not for its components.
  std::string longer = path;
  longer.back() = '/';
  longer += "a";
  ASSERT_EQ(longer.size(), 4097U);
  expect_bad_path(longer);
}

TEST(ValidateRemotePathTest, ComponentLengthLimit) {
  expect_good_path(std::string(255, 'a'));
  expect_bad_path(std::string(256, 'a'));
  expect_good_path("d/" + std::string(255, 'a'));
  expect_bad_path("d/" + std::string(256, 'a'));
  expect_bad_path(std::string(256, 'a') + "/d");
  expect_good_path(std::string(255, 'a') + "/" + std::string(255, 'b'));
  // 85 three-byte characters: 255 bytes, fine; one more byte is too many.
  std::string euros;
  for (int i = 0; i < 85; ++i) {
    euros += "\xE2\x82\xAC";
  }
  expect_good_path(euros);
  expect_bad_path(euros + "a");
}

TEST(ValidateRemotePathTest, ValidUtf8Accepted) {
  expect_good_path("caf\xC3\xA9.txt");                    // é
  expect_good_path("\xE2\x82\xAC");                       // €
  expect_good_path("\xF0\x9F\x98\x80/smile");             // 😀
  expect_good_path("\xE6\x97\xA5\xE6\x9C\xAC/\xD0\xB6");  // 日本/ж
  expect_good_path("\xC2\x80");                           // U+0080
  expect_good_path("\xDF\xBF");                           // U+07FF
  expect_good_path("\xE0\xA0\x80");                       // U+0800
  expect_good_path("\xED\x9F\xBF");                       // U+D7FF
  expect_good_path("\xEE\x80\x80");                       // U+E000
  expect_good_path("\xEF\xBF\xBF");                       // U+FFFF
  expect_good_path("\xF0\x90\x80\x80");                   // U+10000
  expect_good_path("\xF4\x8F\xBF\xBF");                   // U+10FFFF
}

TEST(ValidateRemotePathTest, InvalidUtf8Refused) {
  expect_bad_path("\xC0\x80");              // overlong NUL
  expect_bad_path("\xC1\xBF");              // overlong
  expect_bad_path("\xE0\x80\x80");          // overlong 3-byte
  expect_bad_path("\xE0\x9F\xBF");          // overlong 3-byte
  expect_bad_path("\xF0\x80\x80\x80");      // overlong 4-byte
  expect_bad_path("\xF0\x8F\xBF\xBF");      // overlong 4-byte
  expect_bad_path("\xED\xA0\x80");          // surrogate U+D800
  expect_bad_path("\xED\xBF\xBF");          // surrogate U+DFFF
  expect_bad_path("\xF4\x90\x80\x80");      // U+110000
  expect_bad_path("\xF5\x80\x80\x80");      // beyond
  expect_bad_path("\xF8\x88\x80\x80\x80");  // 5-byte form
  expect_bad_path("\xFE");
  expect_bad_path("\xFF");
  expect_bad_path("\x80");  // lone continuation
  expect_bad_path("a\xBF");
  expect_bad_path("\xC3");          // truncated 2-byte
  expect_bad_path("\xE2\x82");      // truncated 3-byte
  expect_bad_path("\xF0\x9F\x98");  // truncated 4-byte
  expect_bad_path("\xC3/a");        // truncated before a slash
  expect_bad_path("\xE2\x82/a");
  expect_bad_path("\xC3\x41");  // bad continuation
  expect_bad_path("\xE2\x28\xA1");
  expect_bad_path("ok/\xC0\x80");
}

TEST(ValidateRemotePathTest, ReservedPrefixRefused) {
  expect_bad_path(".sfs-tmp-x");
  expect_bad_path(".sfs-");
  expect_bad_path(".sfs-probe");
  expect_bad_path("d/.sfs-x");
  expect_bad_path(".sfs-x/d");
  expect_bad_path("a/.sfs-tmp-0123/b");
}

TEST(ValidateRemotePathTest, SpacesNewlinesAndControlBytesAllowed) {
  expect_good_path("a b.txt");
  expect_good_path(" ");
  expect_good_path("line\nbreak");
  expect_good_path("tab\there");
  expect_good_path("100%");
  expect_good_path("d i r/f i l e");
  expect_good_path("back\\slash");
}

TEST(IsValidUtf8Test, Cases) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii \x01\x7F"));
  EXPECT_TRUE(is_valid_utf8(std::string("\0", 1)));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(is_valid_utf8("abc\xC3"));
}

TEST(IsValidUtf8Test, AllTwoByteSequences) {
  // Exactly the sequences C2..DF followed by 80..BF are valid.
  for (int a = 0x80; a < 0x100; ++a) {
    for (int b = 0; b < 0x100; ++b) {
      const std::string s = {static_cast<char>(a), static_cast<char>(b)};
      const bool expected = a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF;
      EXPECT_EQ(is_valid_utf8(s), expected) << std::hex << a << " " << b;
    }
  }
}

TEST(ValidateRemotePathGarbageTest, RandomPathsNeverCrash) {
  std::mt19937 rng(2);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string path = test::garbage_line(rng, test::kProtocolTokens);
    auto r = validate_remote_path(path);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::kBadPath);
      continue;
    }
    ++accepted;
    EXPECT_FALSE(path.empty());
    EXPECT_LE(path.size(), kMaxPathBytes);
    EXPECT_NE(path.front(), '/');
    EXPECT_EQ(path.find('\0'), std::string::npos);
    EXPECT_TRUE(is_valid_utf8(path));
    EXPECT_EQ(path.find("//"), std::string::npos);
    EXPECT_NE(path.back(), '/');
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace sfs::protocol
