#include <gtest/gtest.h>

#include <string>

#include "dav/update_range.h"

namespace sfs::dav {
namespace {

TEST(UpdateRangeTest, TheFourForms) {
  auto r = parse_update_range("bytes=3-6", 4);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_end);
  EXPECT_EQ(r->offset, 3U);
  r = parse_update_range("bytes=10-", 99);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_end);
  EXPECT_EQ(r->offset, 10U);
  r = parse_update_range("bytes=-2", 5);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from_end);
  EXPECT_EQ(r->offset, 2U);
  r = parse_update_range("append", 7);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from_end);
  EXPECT_EQ(r->offset, 0U);
}

TEST(UpdateRangeTest, ARangeMustBeAsLongAsTheBody) {
  EXPECT_EQ(parse_update_range("bytes=3-6", 3).error().code, Errc::kTooLarge);
  EXPECT_EQ(parse_update_range("bytes=3-6", 5).error().code, Errc::kTooLarge);
  EXPECT_EQ(parse_update_range("bytes=0-0", 0).error().code, Errc::kTooLarge);
  EXPECT_TRUE(parse_update_range("bytes=0-0", 1).ok());
}

TEST(UpdateRangeTest, MalformedValuesAreBadRequests) {
  for (const char* bad :
       {"", "bytes", "bytes=", "bytes=-", "bytes=-0", "bytes=6-3", "bytes=a-b", "bytes=1-2,4-5",
        "items=1-2", "APPEND", "bytes= 1-2", "bytes=+1-2", "bytes=99999999999999999999-"}) {
    EXPECT_EQ(parse_update_range(bad, 2).error().code, Errc::kBadRequest) << bad;
  }
  EXPECT_EQ(parse_update_range(std::string(300, '1'), 2).error().code, Errc::kBadRequest);
}

}  // namespace
}  // namespace sfs::dav
