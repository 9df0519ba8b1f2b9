#include <gtest/gtest.h>

#include "dav/lock.h"

namespace sfs::dav {
namespace {

using std::chrono::seconds;

TEST(DavLockTest, ExclusiveWithOwner) {
  auto r = parse_lock(
      "<?xml version=\"1.0\" encoding=\"utf-8\" ?><D:lockinfo xmlns:D='DAV:'>"
      "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
      "<D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner></D:lockinfo>");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->scope, LockScope::kExclusive);
  EXPECT_EQ(r->owner_xml, "<href xmlns=\"DAV:\">http://example.org/~ejw/contact.html</href>");
}

TEST(DavLockTest, SharedWithTextOwner) {
  auto r = parse_lock(
      "<lockinfo xmlns=\"DAV:\"><lockscope><shared/></lockscope>"
      "<locktype><write/></locktype><owner>litmus &lt;test&gt;</owner></lockinfo>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->scope, LockScope::kShared);
  EXPECT_EQ(r->owner_xml, "litmus &lt;test&gt;");
}

TEST(DavLockTest, NoOwner) {
  auto r = parse_lock(
      "<lockinfo xmlns=\"DAV:\"><lockscope><exclusive/></lockscope>"
      "<locktype><write/></locktype></lockinfo>");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->owner_xml, "");
}

TEST(DavLockTest, InvalidBodies) {
  for (const char* body : {
           "",
           "<lockinfo xmlns=\"DAV:\"><locktype><write/></locktype></lockinfo>",
           "<lockinfo xmlns=\"DAV:\"><lockscope><exclusive/></lockscope></lockinfo>",
           "<lockinfo xmlns=\"DAV:\"><lockscope><other/></lockscope>"
           "<locktype><write/></locktype></lockinfo>",
           "<lockinfo xmlns=\"DAV:\"><lockscope><exclusive/></lockscope>"
           "<locktype><read/></locktype></lockinfo>",
           "<lockinfo xmlns=\"urn:x\"><lockscope><exclusive/></lockscope>"
           "<locktype><write/></locktype></lockinfo>",
       }) {
    auto r = parse_lock(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
  }
}

TEST(DavLockTest, TokenSyntax) {
  EXPECT_TRUE(is_lock_token("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_TRUE(is_lock_token("opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_TRUE(is_lock_token("opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6/x/y"));
  EXPECT_FALSE(is_lock_token("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6/x"));
  EXPECT_FALSE(is_lock_token("urn:uuid:f81d4fae7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_FALSE(is_lock_token("urn:uuid:g81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_FALSE(is_lock_token("opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6 x"));
  EXPECT_FALSE(is_lock_token("DAV:no-lock"));
  EXPECT_FALSE(is_lock_token(""));
}

TEST(DavLockTest, Timeout) {
  EXPECT_EQ(parse_timeout(""), kDefaultLockTimeout);
  EXPECT_EQ(parse_timeout("Second-120"), seconds(120));
  EXPECT_EQ(parse_timeout("second-120"), seconds(120));
  EXPECT_EQ(parse_timeout("Infinite"), kMaxLockTimeout);
  EXPECT_EQ(parse_timeout("Infinite, Second-4100000000"), kMaxLockTimeout);
  EXPECT_EQ(parse_timeout("Second-4100000000"), kMaxLockTimeout);
  EXPECT_EQ(parse_timeout("Second-99999999999999999999"), kDefaultLockTimeout);
  EXPECT_EQ(parse_timeout("Second-0"), seconds(1));
  EXPECT_EQ(parse_timeout("Weeks-3, Second-30"), seconds(30));
  EXPECT_EQ(parse_timeout("Second-"), kDefaultLockTimeout);
  EXPECT_EQ(parse_timeout("Second--5"), kDefaultLockTimeout);
}

TEST(DavLockTest, LockTokenHeader) {
  auto t = parse_lock_token_header(" <urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6> ");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_FALSE(parse_lock_token_header("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_FALSE(parse_lock_token_header("<>"));
  EXPECT_FALSE(parse_lock_token_header("<nope>"));
  EXPECT_FALSE(parse_lock_token_header(""));
}

}  // namespace
}  // namespace sfs::dav
