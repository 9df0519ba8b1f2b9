#include "files/upload_table.h"

#include <gtest/gtest.h>

#include <set>

#include "dav/tus.h"

namespace sfs::files {
namespace {

// The value of a call that cannot fail (the table is in memory).
template <typename T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok());
  return std::move(*result);
}

using std::chrono::seconds;

class UploadTableTest : public ::testing::Test {
 protected:
  std::chrono::system_clock::time_point now_{seconds(1'000'000)};
  MemoryUploadTable table_{seconds(100), 3, [this] { return now_; }};

  UploadRecord make(std::string_view user, std::string path, std::uint64_t length = 10) {
    auto made = table_.create(user, path, length, "filename YQ==");
    EXPECT_TRUE(made.ok()) << (made ? "" : made.error().message);
    return made ? made->upload : UploadRecord{};
  }
};

TEST_F(UploadTableTest, IdsAreRandomHexAndRecordsStartEmpty) {
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const UploadRecord up = make("alice", "f" + std::to_string(i));
    EXPECT_TRUE(tus::is_upload_id(up.id)) << up.id;
    EXPECT_EQ(up.offset, 0U);
    EXPECT_EQ(up.length, 10U);
    EXPECT_EQ(up.expires, 1'000'100);
    EXPECT_EQ(up.metadata, "filename YQ==");
    ids.insert(up.id);
  }
  EXPECT_EQ(ids.size(), 3U);
}

TEST_F(UploadTableTest, UploadsNeverCrossUsers) {
  const UploadRecord up = make("alice", "a");
  EXPECT_FALSE(ok(table_.find("bob", up.id)));
  EXPECT_EQ(table_.claim("bob", up.id).error().code, Errc::kNotFound);
  EXPECT_FALSE(ok(table_.remove("bob", up.id)));
  EXPECT_FALSE(ok(table_.release("bob", up.id, {.offset = 5})));
  ASSERT_TRUE(ok(table_.find("alice", up.id)));
  EXPECT_EQ(ok(table_.find("alice", up.id))->offset, 0U);
}

TEST_F(UploadTableTest, ClaimHoldsOneRequestAndReleaseRecords) {
  const UploadRecord up = make("alice", "a");
  ASSERT_TRUE(table_.claim("alice", up.id).ok());
  EXPECT_EQ(table_.claim("alice", up.id).error().code, Errc::kExists);
  EXPECT_TRUE(ok(table_.release("alice", up.id, {.offset = 4, .digest = "d"})));
  const auto found = ok(table_.find("alice", up.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 4U);
  EXPECT_EQ(found->digest, "d");
  EXPECT_FALSE(found->busy);
  EXPECT_TRUE(table_.claim("alice", up.id).ok());
}

TEST_F(UploadTableTest, RemovedWhileClaimedIsToldAtRelease) {
  const UploadRecord up = make("alice", "a");
  ASSERT_TRUE(table_.claim("alice", up.id).ok());
  const auto removed = ok(table_.remove("alice", up.id));
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->busy);
  EXPECT_FALSE(ok(table_.release("alice", up.id, {.offset = 4})));
  EXPECT_FALSE(ok(table_.find("alice", up.id)));
}

TEST_F(UploadTableTest, ExpiryStartsAgainWithEachUseAndSpareClaimed) {
  const UploadRecord idle = make("alice", "idle");
  const UploadRecord used = make("alice", "used");
  const UploadRecord held = make("alice", "held");
  now_ += seconds(60);
  ASSERT_TRUE(table_.claim("alice", used.id).ok());
  EXPECT_TRUE(ok(table_.release("alice", used.id, {.offset = 1})));
  ASSERT_TRUE(table_.claim("alice", held.id).ok());
  now_ += seconds(40);  // idle's 100 s are over
  EXPECT_FALSE(ok(table_.find("alice", idle.id)));
  EXPECT_TRUE(ok(table_.find("alice", used.id)));
  now_ += seconds(1000);              // a request still holds `held`: never expired under it
  EXPECT_EQ(ok(table_.sweep()), 1U);  // used
  EXPECT_TRUE(ok(table_.find("alice", held.id)));
  EXPECT_TRUE(ok(table_.release("alice", held.id, {.offset = 2})));
  now_ += seconds(100);
  EXPECT_EQ(ok(table_.sweep()), 1U);
  EXPECT_EQ(table_.size(), 0U);
}

TEST_F(UploadTableTest, CapEvictsTheLeastRecentlyUsedIdleOne) {
  const UploadRecord a = make("alice", "a");
  const UploadRecord b = make("alice", "b");
  const UploadRecord c = make("alice", "c");
  ASSERT_TRUE(table_.claim("alice", a.id).ok());  // a in use, b the oldest idle
  auto made = table_.create("alice", "d", 5, "");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(made->evicted);
  EXPECT_EQ(made->evicted->id, b.id);
  EXPECT_EQ(made->evicted->path, "b");
  EXPECT_FALSE(ok(table_.find("alice", b.id)));
  ASSERT_TRUE(table_.claim("alice", c.id).ok());
  ASSERT_TRUE(table_.claim("alice", made->upload.id).ok());
  auto refused = table_.create("alice", "e", 5, "");  // all three in use
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kTooLarge);
  EXPECT_TRUE(table_.create("bob", "e", 5, "").ok());  // a cap per user
}

TEST(UploadIdTest, IdsAre32LowerCaseHexDigitsAndRandom) {
  const std::string id = new_upload_id();
  EXPECT_EQ(id.size(), 32U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, new_upload_id());
}

}  // namespace
}  // namespace sfs::files
