// The S3 backend's table of sidecars the store did not take
// (storage/s3/s3_unwritten.h): kept, replaced, taken once, bounded.

#include "storage/s3/s3_unwritten.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace sfs::storage::s3 {
namespace {

UnwrittenPartial entry(const std::string& sidecar, const std::string& upload_id, int parts) {
  UnwrittenPartial out;
  out.sidecar = sidecar;
  out.partial.parts = parts;
  out.partial.part_size = std::size_t{8} << 20;
  out.partial.upload_id = upload_id;
  out.partial.key = "p/u/alice/f";
  out.kept_at = 1000 + parts;
  return out;
}

TEST(UnwrittenPartials, KeepsAnEntryUntilItIsTakenOnce) {
  UnwrittenPartials table;
  std::optional<UnwrittenPartial> replaced;
  ASSERT_TRUE(table.keep(entry("s1", "id1", 2), replaced));
  EXPECT_FALSE(replaced);
  EXPECT_FALSE(table.take("s2"));
  auto taken = table.take("s1");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->partial.upload_id, "id1");
  EXPECT_EQ(taken->partial.parts, 2);
  EXPECT_EQ(taken->kept_at, 1002);
  EXPECT_FALSE(table.take("s1"));
  EXPECT_EQ(table.size(), 0U);
}

// The newer entry of a sidecar wins; the caller gets the older one back,
// whose multipart upload it must let go.
TEST(UnwrittenPartials, ANewerEntryReplacesTheOlderAndHandsItBack) {
  UnwrittenPartials table;
  std::optional<UnwrittenPartial> replaced;
  ASSERT_TRUE(table.keep(entry("s1", "old", 1), replaced));
  ASSERT_TRUE(table.keep(entry("s1", "new", 3), replaced));
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->partial.upload_id, "old");
  EXPECT_EQ(table.size(), 1U);
  EXPECT_EQ(table.take("s1")->partial.upload_id, "new");
}

TEST(UnwrittenPartials, IsBoundedAndFullLeavesEverythingAsItWas) {
  UnwrittenPartials table;
  std::optional<UnwrittenPartial> replaced;
  for (std::size_t i = 0; i < UnwrittenPartials::kMaxKept; ++i) {
    ASSERT_TRUE(table.keep(entry("s" + std::to_string(i), "id", 1), replaced));
  }
  EXPECT_FALSE(table.keep(entry("one-more", "id", 1), replaced));
  EXPECT_FALSE(replaced);
  EXPECT_EQ(table.size(), UnwrittenPartials::kMaxKept);
  EXPECT_FALSE(table.take("one-more"));
  // Replacing one already kept still works when full.
  EXPECT_TRUE(table.keep(entry("s7", "newer", 2), replaced));
  EXPECT_TRUE(replaced);
  const auto sidecars = table.sidecars();
  ASSERT_EQ(sidecars.size(), UnwrittenPartials::kMaxKept);
  EXPECT_TRUE(std::is_sorted(sidecars.begin(), sidecars.end()));
}

}  // namespace
}  // namespace sfs::storage::s3
