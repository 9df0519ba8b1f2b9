#include "client/remote_path.h"

#include <gtest/gtest.h>

#include <string>

namespace sfs::client {
namespace {

std::string resolved(std::string_view cwd, std::string_view path) {
  auto r = resolve_remote(cwd, path);
  EXPECT_TRUE(r.ok()) << cwd << " + " << path << ": " << r.error().message;
  return r ? *r : "<error>";
}

TEST(ResolveRemote, JoinsToTheWorkingDirectory) {
  EXPECT_EQ(resolved("", "a.txt"), "a.txt");
  EXPECT_EQ(resolved("docs", "a.txt"), "docs/a.txt");
  EXPECT_EQ(resolved("docs/2026", "x/y"), "docs/2026/x/y");
  EXPECT_EQ(resolved("docs", "my file.txt"), "docs/my file.txt");
}

TEST(ResolveRemote, Normalizes) {
  EXPECT_EQ(resolved("", ""), "");
  EXPECT_EQ(resolved("docs", ""), "docs");
  EXPECT_EQ(resolved("docs", "."), "docs");
  EXPECT_EQ(resolved("docs", ".."), "");
  EXPECT_EQ(resolved("docs/2026", "../2025/./a"), "docs/2025/a");
  EXPECT_EQ(resolved("docs", "a//b/"), "docs/a/b");
  EXPECT_EQ(resolved("docs", "a/../../b"), "b");
  EXPECT_EQ(resolved("", "./././"), "");
}

TEST(ResolveRemote, LeadingSlashStartsFromTheTop) {
  EXPECT_EQ(resolved("docs", "/"), "");
  EXPECT_EQ(resolved("docs", "/a.txt"), "a.txt");
  EXPECT_EQ(resolved("docs", "//x/../y"), "y");
}

TEST(ResolveRemote, DotDotAboveTheTopFails) {
  for (auto [cwd, path] : {std::pair{"", ".."}, std::pair{"", "../x"}, std::pair{"docs", "../.."},
                           std::pair{"a/b", "../../../etc/passwd"}, std::pair{"docs", "/.."}}) {
    auto r = resolve_remote(cwd, path);
    ASSERT_FALSE(r.ok()) << cwd << " + " << path;
    EXPECT_EQ(r.error().code, Errc::kBadPath);
    EXPECT_EQ(r.error().message, "'..' leads above your top directory: " + std::string(path));
  }
}

TEST(ResolveRemote, DotsInNamesAreNames) {
  EXPECT_EQ(resolved("", "..."), "...");
  EXPECT_EQ(resolved("", "..a/.b"), "..a/.b");
}

TEST(DisplayRemote, IsAbsolute) {
  EXPECT_EQ(display_remote(""), "/");
  EXPECT_EQ(display_remote("docs/2026"), "/docs/2026");
}

TEST(DirPart, UpToTheLastSlash) {
  EXPECT_EQ(dir_part("a/b/c"), "a/b/");
  EXPECT_EQ(dir_part("c"), "");
  EXPECT_EQ(dir_part("a/"), "a/");
  EXPECT_EQ(dir_part(""), "");
}

TEST(NamesFolder, TrailingSlashDotAndDotDot) {
  for (const char* typed : {"newdir/", "/", "", ".", "..", "a/.", "a/.."}) {
    EXPECT_TRUE(names_folder(typed)) << typed;
  }
  for (const char* typed : {"a", "a/b", "/a", ".hidden", "a..b"}) {
    EXPECT_FALSE(names_folder(typed)) << typed;
  }
}

}  // namespace
}  // namespace sfs::client
