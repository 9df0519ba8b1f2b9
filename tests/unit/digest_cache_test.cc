#include "storage/digest_cache.h"

#include <gtest/gtest.h>

namespace sfs::storage {
namespace {

struct stat file_stat(ino_t inode, off_t size, time_t seconds, long nanoseconds) {
  struct stat st {};
  st.st_dev = 7;
  st.st_ino = inode;
  st.st_size = size;
  st.st_ctim.tv_sec = seconds;
  st.st_ctim.tv_nsec = nanoseconds;
  return st;
}

TEST(DigestCacheTest, FindsWhatWasPutForTheSameInodeSizeAndChangeTime) {
  DigestCache cache;
  const auto st = file_stat(1, 3, 100, 5);
  EXPECT_FALSE(cache.find(st).has_value());
  cache.put(st, "06b05ab6733a618578af5f94892f3950");
  EXPECT_EQ(cache.find(st), "06b05ab6733a618578af5f94892f3950");
  // Changed (to the nanosecond), resized, another inode or device: not the same file.
  EXPECT_FALSE(cache.find(file_stat(1, 3, 100, 6)).has_value());
  EXPECT_FALSE(cache.find(file_stat(1, 4, 100, 5)).has_value());
  EXPECT_FALSE(cache.find(file_stat(2, 3, 100, 5)).has_value());
  auto other_device = st;
  other_device.st_dev = 8;
  EXPECT_FALSE(cache.find(other_device).has_value());
}

TEST(DigestCacheTest, KeepsNoEmptyDigestAndStartsAfreshWhenFull) {
  DigestCache cache(2);
  cache.put(file_stat(1, 3, 100, 0), "");
  EXPECT_FALSE(cache.find(file_stat(1, 3, 100, 0)).has_value());
  cache.put(file_stat(1, 3, 100, 0), "a");
  cache.put(file_stat(2, 3, 100, 0), "b");
  cache.put(file_stat(3, 3, 100, 0), "c");  // full: the first two go
  EXPECT_FALSE(cache.find(file_stat(1, 3, 100, 0)).has_value());
  EXPECT_FALSE(cache.find(file_stat(2, 3, 100, 0)).has_value());
  EXPECT_EQ(cache.find(file_stat(3, 3, 100, 0)), "c");
}

}  // namespace
}  // namespace sfs::storage
