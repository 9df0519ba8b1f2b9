#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace sfs {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') {
    return make_error(Errc::kBadRequest, std::string("not a digit: ") + c);
  }
  return c - '0';
}

Result<int> sum_of_digits(char a, char b) {
  SFS_ASSIGN_OR_RETURN(const int x, parse_digit(a));
  SFS_ASSIGN_OR_RETURN(const int y, parse_digit(b));
  return x + y;
}

Result<void> both_digits(char a, char b) {
  SFS_RETURN_IF_ERROR(parse_digit(a));
  SFS_RETURN_IF_ERROR(parse_digit(b));
  return {};
}

Result<std::unique_ptr<int>> boxed(int n) { return std::make_unique<int>(n); }

Result<int> unbox(int n) {
  SFS_ASSIGN_OR_RETURN(auto box, boxed(n));  // move-only values move out
  return *box;
}

TEST(ResultTest, AssignOrReturnPassesValuesThrough) {
  auto r = sum_of_digits('3', '4');
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
  auto u = unbox(5);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, 5);
}

TEST(ResultTest, AssignOrReturnReturnsTheFirstError) {
  auto r = sum_of_digits('3', 'x');
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  EXPECT_EQ(r.error().message, "not a digit: x");
}

TEST(ResultTest, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_TRUE(both_digits('1', '2').ok());
  auto r = both_digits('a', 'b');
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "not a digit: a");
}

// Misuse is a broken invariant: it aborts in every build type, release
// included, instead of throwing bad_variant_access into a catch-all.
TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  const Result<int> r = make_error(Errc::kIo, "disk");
  EXPECT_DEATH((void)r.value(), "invariant broken: ok\\(\\)");
}

TEST(ResultDeathTest, ErrorOfAValueAborts) {
  const Result<int> r = 1;
  EXPECT_DEATH((void)r.error(), "invariant broken");
  const Result<void> v;
  EXPECT_DEATH((void)v.error(), "invariant broken");
}

// Only an IO error that says so means the store is away for now (a client
// keeps its partial download then); a full disk or a changed file does not.
TEST(ResultTest, StorageUnavailableIsAnIoErrorThatSaysSo) {
  EXPECT_TRUE(is_storage_unavailable(
      make_error(Errc::kIo, "storage unavailable: S3 GET: Couldn't connect (4 attempts)")));
  EXPECT_FALSE(is_storage_unavailable(make_error(Errc::kIo, "No space left on device")));
  EXPECT_FALSE(is_storage_unavailable(
      make_error(Errc::kIo, "S3 GET k: the object changed since it was opened")));
  EXPECT_FALSE(is_storage_unavailable(make_error(Errc::kNetwork, "storage unavailable")));
}

}  // namespace
}  // namespace sfs
