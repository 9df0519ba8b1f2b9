// What HEAD said of files, kept for S3 listings (storage/s3/s3_info_cache.h):
// used only while the listing shows the same object, kept only when
// settled, bounded.

#include "storage/s3/s3_info_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace sfs::storage::s3 {
namespace {

constexpr std::int64_t kWritten = 1'800'000'000;

ObjectInfo head(std::int64_t answered_at, const std::string& digest = "d1") {
  ObjectInfo info;
  info.size = 42;
  info.mtime = kWritten;
  info.etag = "\"e1\"";
  info.metadata["sfs-digest"] = digest;
  info.answered_at = answered_at;
  return info;
}

ObjectEntry listed(const std::string& key, std::int64_t mtime = kWritten, std::uint64_t size = 42,
                   const std::string& etag = "\"e1\"") {
  return ObjectEntry{key, size, mtime, etag};
}

TEST(InfoCache, RecallsASettledAnswerWhileTheListingShowsTheSameObject) {
  InfoCache cache;
  cache.remember("k", head(kWritten + InfoCache::kSettledSeconds));
  auto known = cache.recall(listed("k"));
  ASSERT_TRUE(known);
  EXPECT_EQ(known->metadata.at("sfs-digest"), "d1");
  EXPECT_FALSE(cache.recall(listed("other")));
}

// Within LastModified's second (or a store without Date) the key could be
// written again with the same LastModified: such an answer is not kept.
TEST(InfoCache, DoesNotKeepAnAnswerGivenSoonAfterTheWrite) {
  InfoCache cache;
  cache.remember("k", head(kWritten + InfoCache::kSettledSeconds - 1));
  cache.remember("no-date", head(0));
  EXPECT_FALSE(cache.recall(listed("k")));
  EXPECT_FALSE(cache.recall(listed("no-date")));
  EXPECT_EQ(cache.size(), 0U);
}

TEST(InfoCache, AnyChangeInTheListingAsksAgainAndForgetsTheEntry) {
  for (const ObjectEntry& changed : {listed("k", kWritten + 5), listed("k", kWritten, 43),
                                     listed("k", kWritten, 42, "\"e2\"")}) {
    InfoCache cache;
    cache.remember("k", head(kWritten + 10));
    EXPECT_FALSE(cache.recall(changed));
    EXPECT_EQ(cache.size(), 0U);
    EXPECT_FALSE(cache.recall(listed("k")));
  }
}

TEST(InfoCache, TheLeastRecentlyUsedGoPastTheBound) {
  InfoCache cache;
  for (std::size_t i = 0; i < InfoCache::kMaxEntries; ++i) {
    cache.remember("k" + std::to_string(i), head(kWritten + 10));
  }
  ASSERT_TRUE(cache.recall(listed("k0")));  // used: the least recent is now k1
  cache.remember("new", head(kWritten + 10));
  EXPECT_EQ(cache.size(), InfoCache::kMaxEntries);
  EXPECT_TRUE(cache.recall(listed("k0")));
  EXPECT_FALSE(cache.recall(listed("k1")));
  EXPECT_TRUE(cache.recall(listed("new")));
  cache.remember("k2", head(kWritten + 10, "d2"));  // an update, not another entry
  EXPECT_EQ(cache.size(), InfoCache::kMaxEntries);
  EXPECT_EQ(cache.recall(listed("k2"))->metadata.at("sfs-digest"), "d2");
}

}  // namespace
}  // namespace sfs::storage::s3
