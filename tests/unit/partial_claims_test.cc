// One process's claims on partials (storage/partial_claims.h).

#include "storage/partial_claims.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sfs::storage {
namespace {

TEST(MemoryPartialClaims, OneClaimAtATime) {
  MemoryPartialClaims claims;
  EXPECT_FALSE(claims.may_block());
  EXPECT_FALSE(*claims.is_claimed("u/a/.sfs-part-1"));
  EXPECT_TRUE(*claims.claim("u/a/.sfs-part-1"));
  EXPECT_FALSE(*claims.claim("u/a/.sfs-part-1"));  // held: the second starts afresh
  EXPECT_TRUE(*claims.is_claimed("u/a/.sfs-part-1"));
  EXPECT_TRUE(*claims.claim("u/a/.sfs-part-2"));  // another partial is another claim
  claims.unclaim("u/a/.sfs-part-1");
  EXPECT_FALSE(*claims.is_claimed("u/a/.sfs-part-1"));
  EXPECT_TRUE(*claims.claim("u/a/.sfs-part-1"));
  claims.unclaim("never-claimed");  // harmless
  EXPECT_TRUE(*claims.is_claimed("u/a/.sfs-part-2"));
}

TEST(MemoryPartialClaims, HoldsAreCounted) {
  MemoryPartialClaims claims;
  EXPECT_FALSE(*claims.holds_upload("id-1"));
  claims.hold_upload("id-1");
  claims.hold_upload("id-1");  // e.g. taken over by a resume before the last release ran
  claims.release_upload("id-1");
  EXPECT_TRUE(*claims.holds_upload("id-1"));
  claims.release_upload("id-1");
  EXPECT_FALSE(*claims.holds_upload("id-1"));
  claims.release_upload("id-1");  // one release too many: nothing held, nothing broken
  EXPECT_FALSE(*claims.holds_upload("id-1"));
}

TEST(MemoryPartialClaims, ConcurrentClaimsHaveOneWinner) {
  MemoryPartialClaims claims;
  constexpr int kThreads = 8;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto mine = claims.claim("contested");
      ASSERT_TRUE(mine.ok());
      winners += *mine ? 1 : 0;
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(winners.load(), 1);
}

}  // namespace
}  // namespace sfs::storage
