#include "auth/verdict_share.h"

#include <gtest/gtest.h>

#include <string>

namespace sfs::auth {
namespace {

TEST(VerdictShareTest, AVerdictReadsBackAsItWasSent) {
  const SharedVerdict sent{"2001:db8:1:2::/64", std::string("bob\0 x\n", 7), true};
  const std::string payload = encode_verdict(0xfedcba9876543210ULL, sent);
  EXPECT_EQ(payload.find('\n'), std::string::npos);  // names are hex on the wire
  const auto got = decode_verdict(payload);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->node, 0xfedcba9876543210ULL);
  EXPECT_EQ(got->verdict.source, sent.source);
  EXPECT_EQ(got->verdict.user, sent.user);
  EXPECT_TRUE(got->verdict.ok);
  EXPECT_EQ(decode_verdict("v1 1 0 3132372e302e302e33 6361726f6c")->verdict.user, "carol");
}

TEST(VerdictShareTest, AnythingElseIsIgnored) {
  for (const char* bad :
       {"", "v1", "v2 1 0 41 41", "v1 1 2 41 41", "v1 1 0 4 41", "v1 1 0 4g 41", "v1 1 0 41 41 41",
        "v1 10000000000000000 0 41 41", "v1 -1 0 41 41", "v1  0 41 41", "v1 1 0  41"}) {
    EXPECT_FALSE(decode_verdict(bad).has_value()) << bad;
  }
  // Fields past kMaxSharedField are refused, not cut.
  EXPECT_FALSE(decode_verdict("v1 1 0 41 " + std::string(2 * kMaxSharedField + 2, 'a')));
  EXPECT_TRUE(decode_verdict("v1 1 0 41 " + std::string(2 * kMaxSharedField, 'a')));
}

TEST(VerdictShareTest, ABarrierReadsBackAsItWasSent) {
  const Barrier sent{0xfedcba9876543210ULL, 42};
  const std::string payload = encode_barrier(sent);
  EXPECT_EQ(payload, "b1 fedcba9876543210 2a");
  const auto got = decode_barrier(payload);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->node, sent.node);
  EXPECT_EQ(got->seq, 42U);
  // A barrier is no verdict, and a verdict no barrier.
  EXPECT_FALSE(decode_verdict(payload).has_value());
  EXPECT_FALSE(decode_barrier(encode_verdict(1, {"127.0.0.1", "bob", false})).has_value());
  for (const char* bad : {"", "b1", "b1 1", "b2 1 1", "b1 1 1 1", "b1 1 ", "b1  1", "b1 1 -1",
                          "b1 1 10000000000000000", "b1 x 1"}) {
    EXPECT_FALSE(decode_barrier(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sfs::auth
