#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dav/range.h"

namespace sfs::dav {
namespace {

RangeReply partial(std::uint64_t first, std::uint64_t length) {
  return RangeReply{RangeKind::kPartial, ByteRange{first, length}};
}

void expect_eq(const RangeReply& got, const RangeReply& want, const std::string& what) {
  EXPECT_EQ(got.kind, want.kind) << what;
  if (want.kind == RangeKind::kPartial) {
    EXPECT_EQ(got.range.first, want.range.first) << what;
    EXPECT_EQ(got.range.length, want.range.length) << what;
  }
}

TEST(DavRangeTest, SingleRanges) {
  expect_eq(decide_range("bytes=0-99", 1000), partial(0, 100), "first 100");
  expect_eq(decide_range("bytes=500-", 1000), partial(500, 500), "open");
  expect_eq(decide_range("bytes=-100", 1000), partial(900, 100), "suffix");
  expect_eq(decide_range("bytes=-5000", 1000), partial(0, 1000), "long suffix");
  expect_eq(decide_range("bytes=900-5000", 1000), partial(900, 100), "clamped end");
  expect_eq(decide_range("bytes=999-999", 1000), partial(999, 1), "last byte");
  expect_eq(decide_range(" bytes=1-2 ", 1000), partial(1, 2), "spaces");
}

TEST(DavRangeTest, Unsatisfiable) {
  for (const char* h : {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=5-,7-8"}) {
    EXPECT_EQ(decide_range(h, 1000).kind,
              h == std::string("bytes=5-,7-8") ? RangeKind::kMultiple : RangeKind::kUnsatisfiable)
        << h;
  }
  EXPECT_EQ(decide_range("bytes=0-0", 0).kind, RangeKind::kUnsatisfiable);
  EXPECT_EQ(decide_range("bytes=-1", 0).kind, RangeKind::kUnsatisfiable);
  EXPECT_EQ(decide_range("bytes=2000-,3000-", 1000).kind, RangeKind::kUnsatisfiable);
}

TEST(DavRangeTest, MultipleRangesAreReportedAsSuch) {
  EXPECT_EQ(decide_range("bytes=0-1,5-6", 1000).kind, RangeKind::kMultiple);
  EXPECT_EQ(decide_range("bytes=0-1, 2000-", 1000).kind, RangeKind::kMultiple);
}

TEST(DavRangeTest, IgnoredHeadersGiveTheWholeBody) {
  for (const std::string& h : std::vector<std::string>{
           "", "bytes", "bytes=", "items=0-1", "bytes=a-b", "bytes=5-1", "bytes=-", "bytes=1-2-3",
           "bytes=0x10-", "bytes=+1-2", "bytes=" + std::string(30, '9') + "-",
           "bytes=0-1," + std::string(kMaxRangeHeaderBytes, ' ')}) {
    EXPECT_EQ(decide_range(h, 1000).kind, RangeKind::kWhole) << h;
  }
}

TEST(DavRangeTest, HugeSizes) {
  std::uint64_t size = (std::uint64_t{1} << 62) + 5;
  auto r = decide_range("bytes=-10", size);
  ASSERT_EQ(r.kind, RangeKind::kPartial);
  EXPECT_EQ(r.range.first, size - 10);
  EXPECT_EQ(content_range(r.range, size), "bytes " + std::to_string(size - 10) + "-" +
                                              std::to_string(size - 1) + "/" +
                                              std::to_string(size));
}

TEST(DavRangeTest, ContentRangeHeaders) {
  EXPECT_EQ(content_range(ByteRange{0, 100}, 1000), "bytes 0-99/1000");
  EXPECT_EQ(unsatisfied_range(1000), "bytes */1000");
}

}  // namespace
}  // namespace sfs::dav
