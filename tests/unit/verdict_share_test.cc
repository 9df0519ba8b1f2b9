#include "auth/verdict_share.h"

#include <gtest/gtest.h>

#include <string>

namespace sfs::auth {
namespace {

TEST(VerdictShareTest, ABeginReadsBackAsItWasSent) {
  const AttemptMessage sent{.node = 0xfedcba9876543210ULL,
                            .seq = 42,
                            .key = {"2001:db8:1:2::/64", std::string("bob\0 x\n", 7)}};
  const std::string payload = encode_attempt(sent);
  EXPECT_EQ(payload.find('\n'), std::string::npos);  // names are hex on the wire
  EXPECT_EQ(payload.substr(0, 23), "a1 fedcba9876543210 2a ");
  const auto got = decode_attempt(payload);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->node, sent.node);
  EXPECT_EQ(got->seq, 42U);
  EXPECT_FALSE(got->ended);
  EXPECT_EQ(got->key.source, sent.key.source);
  EXPECT_EQ(got->key.user, sent.key.user);
  EXPECT_EQ(decode_attempt("a1 1 2 3132372e302e302e33 6361726f6c")->key.user, "carol");
}

TEST(VerdictShareTest, EveryEndReadsBackAsItWasSent) {
  for (const std::optional<bool> ok :
       {std::optional<bool>(true), std::optional<bool>(false), std::optional<bool>()}) {
    const AttemptMessage sent{
        .node = 7, .seq = 9, .ended = true, .key = {"192.0.2.7", "alice"}, .ok = ok};
    const auto got = decode_attempt(encode_attempt(sent));
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(got->ended);
    EXPECT_EQ(got->ok, ok);
    EXPECT_EQ(got->key.source, "192.0.2.7");
    EXPECT_EQ(got->key.user, "alice");
  }
  EXPECT_EQ(encode_attempt({.node = 1, .seq = 2, .ended = true, .key = {"A", ""}}), "e1 1 2 - 41 ");
}

TEST(VerdictShareTest, AnythingElseIsIgnored) {
  for (const char* bad :
       {"", "a1", "a2 1 1 41 41", "a1 1 1 4 41", "a1 1 1 4g 41", "a1 1 1 41 41 41", "a1 1 1  41",
        "a1 10000000000000000 1 41 41", "a1 -1 1 41 41", "a1  1 41 41", "a1 1 -1 41 41",
        "e1 1 1 2 41 41", "e1 1 1 41 41", "e1 1 1 1 41 41 41", "e1 1 1 1 41 41 41 41",
        "e1 1 1 x 41 41", "v1 1 0 41 41", "b1 1 1"}) {
    EXPECT_FALSE(decode_attempt(bad).has_value()) << bad;
  }
  // Fields past kMaxSharedField are refused, not cut.
  EXPECT_FALSE(decode_attempt("a1 1 1 41 " + std::string(2 * kMaxSharedField + 2, 'a')));
  EXPECT_TRUE(decode_attempt("a1 1 1 41 " + std::string(2 * kMaxSharedField, 'a')));
}

}  // namespace
}  // namespace sfs::auth
