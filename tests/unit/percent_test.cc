#include "protocol/percent.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "test_util.h"

namespace sfs::protocol {
namespace {

TEST(PercentEncodeTest, Examples) {
  EXPECT_EQ(percent_encode(""), "");
  EXPECT_EQ(percent_encode("a b.txt"), "a%20b.txt");
  EXPECT_EQ(percent_encode("100%"), "100%25");
  EXPECT_EQ(percent_encode("a b%"), "a%20b%25");
  EXPECT_EQ(percent_encode("line\nbreak"), "line%0Abreak");
  EXPECT_EQ(percent_encode(std::string("\0", 1)), "%00");
  EXPECT_EQ(percent_encode("\x7F\x80\xFF"), "%7F%80%FF");
  EXPECT_EQ(percent_encode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(percent_encode("!~AZaz09/:"), "!~AZaz09/:");
}

TEST(PercentEncodeTest, EveryByteValue) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const std::string raw(1, static_cast<char>(b));
    const std::string encoded = percent_encode(raw);
    if (b >= 0x21 && b <= 0x7E && b != '%') {
      EXPECT_EQ(encoded, raw) << "byte " << b;
    } else {
      const std::string expected = {'%', kHex[b >> 4], kHex[b & 0xF]};
      EXPECT_EQ(encoded, expected) << "byte " << b;
    }
    // An encoded field never holds a byte outside 0x21..0x7E.
    for (const char c : encoded) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x21 && u <= 0x7E) << "byte " << b;
    }
  }
}

TEST(PercentRoundTripTest, EveryByteValueAlone) {
  for (int b = 0; b < 256; ++b) {
    const std::string raw(1, static_cast<char>(b));
    auto decoded = percent_decode(percent_encode(raw));
    ASSERT_TRUE(decoded.ok()) << "byte " << b;
    EXPECT_EQ(*decoded, raw) << "byte " << b;
  }
}

TEST(PercentRoundTripTest, AllBytesInOneString) {
  std::string raw;
  for (int b = 0; b < 256; ++b) {
    raw.push_back(static_cast<char>(b));
  }
  raw += raw;  // and again, reversed
  for (int b = 255; b >= 0; --b) {
    raw.push_back(static_cast<char>(b));
  }
  auto decoded = percent_decode(percent_encode(raw));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, raw);
}

TEST(PercentDecodeTest, AcceptsUpperAndLowerHex) {
  for (int b = 0; b < 256; ++b) {
    static constexpr char kUpper[] = "0123456789ABCDEF";
    static constexpr char kLower[] = "0123456789abcdef";
    const std::string upper = {'%', kUpper[b >> 4], kUpper[b & 0xF]};
    const std::string lower = {'%', kLower[b >> 4], kLower[b & 0xF]};
    auto u = percent_decode(upper);
    auto l = percent_decode(lower);
    ASSERT_TRUE(u.ok()) << upper;
    ASSERT_TRUE(l.ok()) << lower;
    EXPECT_EQ(*u, std::string(1, static_cast<char>(b)));
    EXPECT_EQ(*l, std::string(1, static_cast<char>(b)));
  }
  auto mixed = percent_decode("%c3%A9%2f");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(*mixed, "\xC3\xA9/");
}

TEST(PercentDecodeTest, PlainBytesPassThrough) {
  auto r = percent_decode("docs/a.txt");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "docs/a.txt");
  auto empty = percent_decode("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
  auto escaped = percent_decode("a%20b.txt");
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(*escaped, "a b.txt");
  auto percent = percent_decode("100%25");
  ASSERT_TRUE(percent.ok());
  EXPECT_EQ(*percent, "100%");
  // "%2525" decodes once only.
  auto twice = percent_decode("%2525");
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, "%25");
}

TEST(PercentDecodeTest, MalformedEscapesRejected) {
  for (const char* field : {"%", "%4", "%zz", "%4g", "%g4", "a%", "a%4", "abc%2", "%%", "%%41",
                            "%-1", "% 1", "%+1", "%x41", "%\xC3\xA9"}) {
    auto r = percent_decode(field);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << field;
  }
}

TEST(PercentDecodeTest, BytesThatMustBeEscapedRejected) {
  for (int b = 0; b < 256; ++b) {
    if (b >= 0x21 && b <= 0x7E) {
      continue;
    }
    const std::string field = "a" + std::string(1, static_cast<char>(b)) + "b";
    auto r = percent_decode(field);
    ASSERT_FALSE(r.ok()) << "byte " << b;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << "byte " << b;
  }
}

TEST(PercentDecodeTest, NamedRawBytesRejected) {
  for (const std::string& field : {std::string("a b"), std::string(" "), std::string("\x7F"),
                                   std::string("\x80"), std::string("x\xFF"), std::string("\t"),
                                   std::string("a\n"), std::string("\r"), std::string("\0", 1)}) {
    EXPECT_FALSE(percent_decode(field).ok());
  }
}

TEST(PercentDecodeGarbageTest, RandomFieldsNeverCrash) {
  std::mt19937 rng(1);
  for (int i = 0; i < 20000; ++i) {
    const std::string field = test::garbage_line(rng, test::kProtocolTokens);
    auto r = percent_decode(field);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::kBadRequest);
      continue;
    }
    for (const char c : field) {
      const auto u = static_cast<unsigned char>(c);
      ASSERT_TRUE(u >= 0x21 && u <= 0x7E) << "accepted byte " << static_cast<int>(u);
    }
    EXPECT_LE(r->size(), field.size());
    auto again = percent_decode(percent_encode(*r));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *r);
  }
}

}  // namespace
}  // namespace sfs::protocol
