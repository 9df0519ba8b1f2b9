#include "protocol/numbers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace sfs::protocol {
namespace {

TEST(ParseU64Test, Zero) {
  auto r = parse_u64("0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0U);
}

TEST(ParseU64Test, SmallNumbers) {
  auto one = parse_u64("1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1U);
  auto big = parse_u64("600000");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(*big, 600000U);
}

TEST(ParseU64Test, MaxUint64) {
  auto r = parse_u64("18446744073709551615");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseU64Test, OverflowRejected) {
  for (const char* text : {"18446744073709551616", "18446744073709551625", "99999999999999999999",
                           "100000000000000000000", "184467440737095516150"}) {
    auto r = parse_u64(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << text;
  }
}

TEST(ParseU64Test, LeadingZerosRejected) {
  for (const char* text : {"00", "01", "007", "0000000000000000000001"}) {
    auto r = parse_u64(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << text;
  }
}

TEST(ParseU64Test, SignsRejected) {
  for (const char* text : {"+1", "-1", "-0", "+0", "1-", "1+"}) {
    auto r = parse_u64(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << text;
  }
}

TEST(ParseU64Test, EmptyRejected) {
  auto r = parse_u64("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
}

TEST(ParseU64Test, SpacesAndOtherBytesRejected) {
  for (const std::string& text :
       {std::string(" 1"), std::string("1 "), std::string(" "), std::string("1 2"),
        std::string("\t1"), std::string("1\n"), std::string("0x10"), std::string("1e3"),
        std::string("1.0"), std::string("12a"), std::string("a12"), std::string("\xD9\xA1"),
        std::string("1\0", 2)}) {
    auto r = parse_u64(text);
    EXPECT_FALSE(r.ok()) << "'" << text << "'";
  }
}

TEST(ParseU64Test, EveryPowerOfTenFits) {
  std::uint64_t expected = 1;
  std::string text = "1";
  for (int i = 0; i < 20; ++i) {
    auto r = parse_u64(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(*r, expected) << text;
    if (i < 19) {
      expected *= 10;
      text += '0';
    }
  }
}

}  // namespace
}  // namespace sfs::protocol
