// The S3 claims on partials in PostgreSQL (pg/pg_partial_claims.h), against
// a real database (the sfs_pg_tests binary): tests/integration/
// test_db_claims.py starts one (scripts/pg-one-node) and runs these with SFS_TEST_DB_URL set (and
// PGPASSFILE); without it they skip. Several PgPartialClaims on one
// database stand for several nodes.

#include "pg/pg_partial_claims.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sfs::pg {
namespace {

using std::chrono::seconds;

// Heartbeats an hour apart: a node writes its row when it claims or holds,
// and the tests decide when it is seen again (flush()).
constexpr PgPartialClaimsSettings kQuiet{.heartbeat = seconds(3600), .expire_after = seconds(600)};

class PgPartialClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("SFS_TEST_DB_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_SKIP() << "SFS_TEST_DB_URL not set (tests/integration/test_db_claims.py sets it)";
    }
    auto db = Database::open(url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->run([](pqxx::work& tx) -> Result<void> {
                     tx.exec0("DELETE FROM sfs_claim_nodes");
                     return {};
                   })
                    .ok());
  }

  std::unique_ptr<PgPartialClaims> node(PgPartialClaimsSettings settings = kQuiet) {
    return std::make_unique<PgPartialClaims>(db_, settings);
  }

  std::int64_t rows(const char* table) {
    std::int64_t n = -1;
    EXPECT_TRUE(
        db_->run([&](pqxx::work& tx) -> Result<void> {
             n = tx.exec1(std::string("SELECT count(*) FROM ") + table)[0].as<std::int64_t>();
             return {};
           })
            .ok());
    return n;
  }

  std::shared_ptr<Database> db_;
};

TEST_F(PgPartialClaimsTest, OneNodeAtATimeContinuesAPartial) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(*a->claim("u/alice/.sfs-part-1"));
  EXPECT_FALSE(*a->claim("u/alice/.sfs-part-1"));  // a second upload on the same node
  EXPECT_FALSE(*b->claim("u/alice/.sfs-part-1"));  // or on another node
  EXPECT_TRUE(*b->is_claimed("u/alice/.sfs-part-1"));
  EXPECT_TRUE(*b->claim("u/alice/.sfs-part-2"));
  a->unclaim("u/alice/.sfs-part-1");
  ASSERT_TRUE(a->flush().ok());  // the queued delete has run
  EXPECT_FALSE(*b->is_claimed("u/alice/.sfs-part-1"));
  EXPECT_TRUE(*b->claim("u/alice/.sfs-part-1"));
  EXPECT_FALSE(*a->claim("u/alice/.sfs-part-1"));
}

TEST_F(PgPartialClaimsTest, ClaimedAgainBeforeTheQueuedUnclaimRuns) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(*a->claim("s"));
  a->unclaim("s");
  ASSERT_TRUE(*a->claim("s"));  // its row may still be there: it is a's own
  ASSERT_TRUE(a->flush().ok());
  EXPECT_TRUE(*b->is_claimed("s"));  // the unclaim did not delete the new claim
  EXPECT_FALSE(*b->claim("s"));
}

TEST_F(PgPartialClaimsTest, ConcurrentClaimsOfTwoNodesHaveOneWinner) {
  auto a = node();
  auto b = node();
  for (int round = 0; round < 20; ++round) {
    const std::string sidecar = "race-" + std::to_string(round);
    std::atomic<int> winners{0};
    std::atomic<int> failures{0};
    std::thread left([&] {
      auto mine = a->claim(sidecar);
      failures += mine.ok() ? 0 : 1;
      winners += mine.ok() && *mine ? 1 : 0;
    });
    std::thread right([&] {
      auto mine = b->claim(sidecar);
      failures += mine.ok() ? 0 : 1;
      winners += mine.ok() && *mine ? 1 : 0;
    });
    left.join();
    right.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(winners.load(), 1) << sidecar;
  }
}

TEST_F(PgPartialClaimsTest, HoldsAreSeenByEveryNode) {
  auto a = node();
  auto b = node();
  EXPECT_FALSE(*b->holds_upload("upload-1"));
  a->hold_upload("upload-1");
  EXPECT_TRUE(*a->holds_upload("upload-1"));  // at once on its own node
  ASSERT_TRUE(a->flush().ok());
  EXPECT_TRUE(*b->holds_upload("upload-1"));
  a->release_upload("upload-1");
  ASSERT_TRUE(a->flush().ok());
  EXPECT_FALSE(*b->holds_upload("upload-1"));
  EXPECT_EQ(rows("sfs_upload_holds"), 0);
}

// A node that stops seeing the database (here: never beats again) loses its
// claims and holds to the next node that expires the dead: what another
// node may then claim, and what the sweeps may abort.
TEST_F(PgPartialClaimsTest, ADeadNodesClaimsExpire) {
  auto dead = node();
  auto live = node();
  ASSERT_TRUE(*dead->claim("orphan"));
  dead->hold_upload("orphan-upload");
  ASSERT_TRUE(dead->flush().ok());
  EXPECT_FALSE(*live->claim("orphan"));  // seen within its 600 s: alive
  EXPECT_TRUE(*live->holds_upload("orphan-upload"));
  // A node that takes nodes unseen for 0 s for dead: `dead` was last seen
  // in an earlier transaction, so it goes with its rows, and its own
  // transaction's heartbeat keeps it.
  auto strict = node({.heartbeat = seconds(3600), .expire_after = seconds(0)});
  EXPECT_TRUE(*strict->claim("orphan"));
  EXPECT_FALSE(*live->holds_upload("orphan-upload"));
  EXPECT_EQ(rows("sfs_upload_holds"), 0);
  // The dead node comes back: it writes what it holds again, except the
  // claim another node took meanwhile.
  ASSERT_TRUE(dead->flush().ok());
  EXPECT_TRUE(*live->holds_upload("orphan-upload"));
  EXPECT_FALSE(*live->claim("orphan"));
  EXPECT_TRUE(*strict->is_claimed("orphan"));
}

TEST_F(PgPartialClaimsTest, AStoppedNodeDeletesItsRows) {
  {
    auto a = node();
    ASSERT_TRUE(*a->claim("gone-with-it"));
    a->hold_upload("held-with-it");
  }
  EXPECT_EQ(rows("sfs_claim_nodes"), 0);
  EXPECT_EQ(rows("sfs_partial_claims"), 0);
  EXPECT_EQ(rows("sfs_upload_holds"), 0);
  auto b = node();
  EXPECT_TRUE(*b->claim("gone-with-it"));
}

// The database away (SFS_TEST_DB_STOP and SFS_TEST_DB_START: commands that
// stop and start it, given by test_db_claims.py): claims fail with one line
// and do not wait without bound; afterwards the node writes its rows again.
TEST_F(PgPartialClaimsTest, TheDatabaseAway) {
  const char* stop = std::getenv("SFS_TEST_DB_STOP");
  const char* start = std::getenv("SFS_TEST_DB_START");
  if (stop == nullptr || start == nullptr) {
    GTEST_SKIP() << "SFS_TEST_DB_STOP/START not set";
  }
  auto a = node();
  ASSERT_TRUE(*a->claim("kept-through"));
  ASSERT_EQ(std::system(stop), 0);
  auto refused = a->claim("while-away");
  const int started = std::system(start);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kIo);
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("unavailable"), std::string::npos)
      << refused.error().message;
  a->unclaim("kept-through");  // queued; if it fails while away, written again later
  ASSERT_EQ(started, 0);
  ASSERT_TRUE(a->flush().ok());
  EXPECT_FALSE(*a->is_claimed("while-away"));
  auto b = node();
  EXPECT_TRUE(*b->claim("kept-through"));
  EXPECT_TRUE(*b->claim("while-away"));
}

}  // namespace
}  // namespace sfs::pg
