#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dav/headers.h"

namespace sfs::dav {
namespace {

TEST(DavHeadersTest, Depth) {
  EXPECT_EQ(*parse_depth("", Depth::kInfinity), Depth::kInfinity);
  EXPECT_EQ(*parse_depth("", Depth::kZero), Depth::kZero);
  EXPECT_EQ(*parse_depth("0", Depth::kInfinity), Depth::kZero);
  EXPECT_EQ(*parse_depth(" 1 ", Depth::kInfinity), Depth::kOne);
  EXPECT_EQ(*parse_depth("Infinity", Depth::kZero), Depth::kInfinity);
  for (const char* bad : {"2", "-1", "inf", "01", "0,1"}) {
    auto r = parse_depth(bad, Depth::kZero);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
  }
}

TEST(DavHeadersTest, Overwrite) {
  EXPECT_TRUE(*parse_overwrite(""));
  EXPECT_TRUE(*parse_overwrite("T"));
  EXPECT_FALSE(*parse_overwrite("F"));
  EXPECT_FALSE(parse_overwrite("yes"));
  EXPECT_FALSE(parse_overwrite("TF"));
}

TEST(DavHeadersTest, DestinationAbsoluteUrl) {
  auto d = parse_destination("https://Host.Example:8443/dav/a%20b.txt?x=1#f");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->scheme, "https");
  EXPECT_EQ(d->authority, "host.example:8443");
  EXPECT_EQ(d->path, "/dav/a%20b.txt");
  auto bare = parse_destination("http://[::1]:80");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->authority, "[::1]:80");
  EXPECT_EQ(bare->path, "/");
}

TEST(DavHeadersTest, DestinationPath) {
  auto d = parse_destination("/dav/x");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->scheme, "");
  EXPECT_EQ(d->authority, "");
  EXPECT_EQ(d->path, "/dav/x");
  // A "://" later in a path is part of the path.
  auto odd = parse_destination("/dav/a://b");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->path, "/dav/a://b");
}

TEST(DavHeadersTest, BadDestinations) {
  for (const std::string& bad : std::vector<std::string>{
           "", "dav/x", "https://", "https:///x", "https://u:p@host/x", "1http://host/x",
           "/dav/a b", "/dav/\x01", "/dav/a\r\nX: y", "/" + std::string(kMaxUrlBytes, 'a')}) {
    auto r = parse_destination(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
  }
}

TEST(DavHeadersTest, PercentDecodeOnce) {
  EXPECT_EQ(*percent_decode_path("/a%20b"), "/a b");
  EXPECT_EQ(*percent_decode_path("/%2541"), "/%41");
  EXPECT_EQ(*percent_decode_path("/a+b"), "/a+b");
  EXPECT_EQ(*percent_decode_path("/caf%C3%A9"), "/caf\xC3\xA9");
  EXPECT_EQ(*percent_decode_path("/caf%c3%a9"), "/caf\xC3\xA9");
  EXPECT_EQ(*percent_decode_path("/%2e%2e/x"), "/../x");  // the path rules refuse it later
}

TEST(DavHeadersTest, PercentDecodeErrors) {
  for (const char* bad : {"/%", "/%4", "/%zz", "/%4g", "/%00", "/%C3", "/%C0%AF", "/%ED%A0%80",
                          "/%F5%80%80%80", "/%FF"}) {
    auto r = percent_decode_path(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::kBadPath);
  }
}

TEST(DavHeadersTest, PercentEncodeRoundTripsEveryByte) {
  EXPECT_EQ(percent_encode_path("/dav/a b%.txt"), "/dav/a%20b%25.txt");
  EXPECT_EQ(percent_encode_path("/caf\xC3\xA9"), "/caf%C3%A9");
  EXPECT_EQ(percent_encode_path("/a?b#c"), "/a%3Fb%23c");
  for (int b = 1; b < 0x80; ++b) {
    std::string raw = "/x" + std::string(1, static_cast<char>(b));
    auto back = percent_decode_path(percent_encode_path(raw));
    ASSERT_TRUE(back) << b;
    EXPECT_EQ(*back, raw);
  }
}

}  // namespace
}  // namespace sfs::dav
