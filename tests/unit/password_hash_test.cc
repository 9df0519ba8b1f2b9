#include "auth/password_hash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace sfs::auth {
namespace {

// Each hash or verification at the INTERACTIVE cost takes ~0.1 s: the
// suite hashes once and shares the result.
class PasswordHashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto hash = hash_password(kPassword);
    ASSERT_TRUE(hash.ok()) << hash.error().message;
    hash_ = new std::string(std::move(*hash));
  }
  static void TearDownTestSuite() {
    delete hash_;
    hash_ = nullptr;
  }

  // A hash of `password` at libsodium's minimum cost (fast).
  static std::string cheap_hash(const std::string& password) {
    EXPECT_GE(sodium_init(), 0);
    char out[crypto_pwhash_STRBYTES];
    EXPECT_EQ(
        crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                              crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2ID13),
        0);
    return out;
  }

  static constexpr char kPassword[] = "correct horse battery staple";
  static std::string* hash_;
};

std::string* PasswordHashTest::hash_ = nullptr;

TEST_F(PasswordHashTest, HashIsArgon2idAtInteractiveCost) {
  ASSERT_NE(hash_, nullptr);
  EXPECT_TRUE(hash_->starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << *hash_;
  EXPECT_LT(hash_->size(), static_cast<std::size_t>(crypto_pwhash_STRBYTES));
  EXPECT_EQ(hash_->find(kPassword), std::string::npos);
  EXPECT_EQ(hash_->find(':'), std::string::npos);  // fits in `name:secret`
  EXPECT_EQ(hash_->find('\n'), std::string::npos);
}

TEST_F(PasswordHashTest, VerifiesOnlyTheRightPassword) {
  ASSERT_NE(hash_, nullptr);
  EXPECT_TRUE(verify_password(*hash_, kPassword));
  EXPECT_FALSE(verify_password(*hash_, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*hash_, ""));
}

TEST_F(PasswordHashTest, SaltMakesEachHashDifferent) {
  ASSERT_NE(hash_, nullptr);
  auto again = hash_password(kPassword);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(*again, *hash_);
  EXPECT_TRUE(again->starts_with("$argon2id$")) << *again;
  EXPECT_FALSE(needs_rehash(*again));
}

TEST_F(PasswordHashTest, NeedsRehash) {
  ASSERT_NE(hash_, nullptr);
  EXPECT_FALSE(needs_rehash(*hash_));
  const std::string cheap = cheap_hash(kPassword);
  ASSERT_TRUE(cheap.starts_with("$argon2id$")) << cheap;
  EXPECT_TRUE(needs_rehash(cheap));
  // Another cost still verifies: it is read from the string.
  EXPECT_TRUE(verify_password(cheap, kPassword));
  EXPECT_FALSE(verify_password(cheap, "wrong"));
}

TEST_F(PasswordHashTest, GarbageNeverVerifies) {
  EXPECT_FALSE(verify_password("", ""));
  EXPECT_FALSE(verify_password("plain", "plain"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "garbage"));
  EXPECT_TRUE(needs_rehash("$argon2id$garbage"));
  EXPECT_TRUE(needs_rehash(""));
}

TEST_F(PasswordHashTest, PasswordLengthLimit) {
  auto too_long = hash_password(std::string(1025, 'p'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::kBadRequest);
  EXPECT_NE(too_long.error().message.find("1024"), std::string::npos) << too_long.error().message;
  auto huge = hash_password(std::string(1 << 20, 'p'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, Errc::kBadRequest);

  const std::string max(1024, 'p');
  auto at_limit = hash_password(max);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_TRUE(verify_password(*at_limit, max));
}

}  // namespace
}  // namespace sfs::auth
