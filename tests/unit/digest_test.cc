#include "crypto/digest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sfs::crypto {
namespace {

// Known values from `xxh128sum` (Debian's xxhash package, the reference
// implementation's command line tool).
constexpr char kEmpty[] = "99aa06d3014798d86001c324468d497f";
constexpr char kAbc[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kA[] = "a96faf705af16834e6c632b61e964e1f";
constexpr char kMillionA[] = "a545df8e384a9579b1fd6fae5285c4eb";
constexpr char kTwoBlockMessage[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr char kTwoBlock[] = "3d62d22a5169b016c0d894fd4828a1a7";

std::string hash_of(std::string_view data) {
  Digest h;
  h.update(data.data(), data.size());
  return h.hex_digest();
}

// A message that is not periodic, so that a misplaced piece shows.
std::string test_message(std::size_t length) {
  std::string s;
  unsigned x = 12345;
  for (std::size_t i = 0; i < length; ++i) {
    x = x * 1103515245U + 12345U;
    s.push_back(static_cast<char>(x >> 16));
  }
  return s;
}

// ---- known vectors ---------------------------------------------------------------

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(hash_of(""), kEmpty);
  EXPECT_EQ(hash_of("abc"), kAbc);
  EXPECT_EQ(hash_of("a"), kA);
  EXPECT_EQ(hash_of(kTwoBlockMessage), kTwoBlock);
}

TEST(DigestTest, NothingFedIsTheEmptyDigest) {
  Digest h;
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

TEST(DigestTest, MillionAInOneUpdate) { EXPECT_EQ(hash_of(std::string(1000000, 'a')), kMillionA); }

TEST(DigestTest, MillionAInUnevenPieces) {
  const std::string a(1000000, 'a');
  Digest h;
  std::size_t done = 0;
  std::size_t piece = 1;
  while (done < a.size()) {
    const std::size_t n = std::min(piece, a.size() - done);
    h.update(a.data() + done, n);
    done += n;
    piece = piece * 2 + 1;
  }
  EXPECT_EQ(h.hex_digest(), kMillionA);
}

TEST(DigestTest, EmptyUpdatesChangeNothing) {
  Digest h;
  h.update("", 0);
  h.update("abc", 3);
  h.update(nullptr, 0);
  h.update("abc", 0);
  EXPECT_EQ(h.hex_digest(), kAbc);
}

// ---- splitting the input -------------------------------------------------------------

TEST(DigestTest, TwoPiecesSplitAtEveryBoundary) {
  // 200 bytes: more than three 64-byte blocks, so every position within a
  // block and across block ends is a split point.
  const std::string message = test_message(200);
  const std::string whole = hash_of(message);
  for (std::size_t i = 0; i <= message.size(); ++i) {
    Digest h;
    h.update(message.data(), i);
    h.update(message.data() + i, message.size() - i);
    ASSERT_EQ(h.hex_digest(), whole) << "split at " << i;
  }
}

TEST(DigestTest, ThreePiecesSplitAtEveryPairOfBoundaries) {
  const std::string message = test_message(130);
  const std::string whole = hash_of(message);
  for (std::size_t i = 0; i <= message.size(); ++i) {
    for (std::size_t j = i; j <= message.size(); ++j) {
      Digest h;
      h.update(message.data(), i);
      h.update(message.data() + i, j - i);
      h.update(message.data() + j, message.size() - j);
      ASSERT_EQ(h.hex_digest(), whole) << "split at " << i << " and " << j;
    }
  }
}

TEST(DigestTest, ByteByByte) {
  const std::string message = kTwoBlockMessage;
  Digest h;
  for (const char c : message) {
    h.update(&c, 1);
  }
  EXPECT_EQ(h.hex_digest(), kTwoBlock);
}

// ---- digest so far / finishing / reset -------------------------------------------

TEST(DigestTest, HexDigestDoesNotDisturbHashing) {
  Digest h;
  EXPECT_EQ(h.hex_digest(), kEmpty);
  h.update("a", 1);
  EXPECT_EQ(h.hex_digest(), kA);
  EXPECT_EQ(h.hex_digest(), kA);  // asking twice gives the same
  h.update("bc", 2);
  EXPECT_EQ(h.hex_digest(), kAbc);
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(DigestTest, HexDigestAtEveryPrefix) {
  const std::string message = test_message(150);
  Digest h;
  for (std::size_t i = 0; i < message.size(); ++i) {
    ASSERT_EQ(h.hex_digest(), hash_of(std::string_view(message).substr(0, i))) << i;
    h.update(message.data() + i, 1);
  }
  EXPECT_EQ(h.hex_digest(), hash_of(message));
}

TEST(DigestTest, DigestOfOneBufferMatchesStreaming) {
  EXPECT_EQ(digest_of(""), kEmpty);
  EXPECT_EQ(digest_of("abc"), kAbc);
  const std::string message = test_message(5000);
  EXPECT_EQ(digest_of(message), hash_of(message));
}

TEST(DigestTest, ResetForgetsWhatWasFed) {
  Digest h;
  h.update("garbage", 7);
  h.reset();
  EXPECT_EQ(h.hex_digest(), kEmpty);
  h.update("abc", 3);
  EXPECT_EQ(h.hex_digest(), kAbc);
  h.reset();
  h.reset();
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

// ---- move ---------------------------------------------------------------------------

TEST(DigestTest, MoveConstructionKeepsTheState) {
  Digest a;
  a.update("ab", 2);
  Digest b(std::move(a));
  b.update("c", 1);
  EXPECT_EQ(b.hex_digest(), kAbc);
}

TEST(DigestTest, MoveAssignmentKeepsTheState) {
  Digest a;
  a.update("a", 1);
  Digest b;
  b.update("something else", 14);
  b = std::move(a);
  EXPECT_EQ(b.hex_digest(), kA);
  b.update("bc", 2);
  EXPECT_EQ(b.hex_digest(), kAbc);
  // A moved-from object can be assigned to again and then used.
  a = Digest();
  a.update("abc", 3);
  EXPECT_EQ(a.hex_digest(), kAbc);
}

TEST(DigestTest, IndependentObjects) {
  Digest a;
  Digest b;
  a.update("a", 1);
  b.update("abc", 3);
  a.update("bc", 2);
  EXPECT_EQ(a.hex_digest(), kAbc);
  EXPECT_EQ(b.hex_digest(), kAbc);
}

// ---- save and restore ---------------------------------------------------------------

// Re-signs a changed saved state (its last 16 bytes are the XXH3-128 of the
// rest), so that only the field checks stand between it and a restore.
std::string resigned(const std::string& saved) {
  const std::size_t fields = kSavedStateBytes - 16;
  const std::string hex = digest_of(std::string_view(saved).substr(0, fields));
  std::string check;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    check += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return saved.substr(0, fields) + check;
}

void put_u64(std::string& saved, std::size_t at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    saved[at + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

// Offsets in the saved bytes (crypto/digest.cc): tag 0, version 4, state
// size 8, buffered 12, total 16, stripes 24.
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kStateSizeAt = 8;
constexpr std::size_t kBufferedAt = 12;
constexpr std::size_t kTotalAt = 16;
constexpr std::size_t kStripesAt = 24;

TEST(DigestStateTest, ARestoredStateContinuesToTheDigestOfTheWhole) {
  const std::string message = test_message((1 << 20) + 5000);
  const std::string whole = hash_of(message);
  for (const std::size_t cut : {0, 1, 63, 64, 240, 241, 255, 256, 257, 511, 1024, 1025, 4095, 16384,
                                16387, 100000, 1 << 20}) {
    SCOPED_TRACE(cut);
    Digest first;
    first.update(message.data(), cut);
    const std::string saved = first.save();
    ASSERT_EQ(saved.size(), kSavedStateBytes);
    Digest second;
    second.update("other bytes", 11);  // restore replaces what was fed
    auto covered = second.restore(saved);
    ASSERT_TRUE(covered.ok()) << covered.error().message;
    EXPECT_EQ(*covered, cut);
    EXPECT_EQ(second.length(), cut);
    EXPECT_EQ(second.hex_digest(), first.hex_digest());
    second.update(message.data() + cut, message.size() - cut);
    EXPECT_EQ(second.hex_digest(), whole);
  }
}

TEST(DigestStateTest, ASavedStateIsTheSameForTheSameBytesFedInOtherPieces) {
  const std::string message = test_message(70000);
  Digest one;
  one.update(message.data(), message.size());
  Digest pieces;
  for (std::size_t at = 0; at < message.size(); at += 999) {
    pieces.update(message.data() + at, std::min<std::size_t>(999, message.size() - at));
  }
  Digest restored;
  ASSERT_TRUE(restored.restore(pieces.save()).ok());
  EXPECT_EQ(restored.hex_digest(), one.hex_digest());
}

TEST(DigestStateTest, EveryChangedByteIsRefusedAndChangesNothing) {
  const std::string message = test_message(5000);
  Digest fed;
  fed.update(message.data(), message.size());
  const std::string saved = fed.save();
  Digest target;
  target.update("abc", 3);
  for (std::size_t i = 0; i < saved.size(); ++i) {
    std::string bad = saved;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto refused = target.restore(bad);
    ASSERT_FALSE(refused.ok()) << "byte " << i;
    EXPECT_EQ(refused.error().message,
              i < 4 ? "not a saved digest state" : "damaged digest state (check digest)")
        << "byte " << i;
  }
  EXPECT_EQ(target.hex_digest(), kAbc);
}

TEST(DigestStateTest, WrongSizesAreRefused) {
  Digest fed;
  fed.update("abc", 3);
  const std::string saved = fed.save();
  Digest target;
  EXPECT_FALSE(target.restore("").ok());
  EXPECT_FALSE(target.restore(saved.substr(0, saved.size() - 1)).ok());
  EXPECT_FALSE(target.restore(saved + "x").ok());
  EXPECT_FALSE(target.restore(std::string(kSavedStateBytes, '\0')).ok());
  EXPECT_EQ(target.hex_digest(), kEmpty);
}

// Another build (another xxHash, another state layout) or another format:
// refused even with a valid check digest.
TEST(DigestStateTest, AnotherVersionStateSizeOrTagIsRefused) {
  const std::string message = test_message(3000);
  Digest fed;
  fed.update(message.data(), message.size());
  const std::string saved = fed.save();
  ASSERT_TRUE(Digest().restore(resigned(saved)).ok());  // resigning alone changes nothing
  std::string other_version = saved;
  put_u64(other_version, kVersionAt, 800, 4);  // 0.8.0
  auto refused = Digest().restore(resigned(other_version));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "digest state of another xxHash build");
  std::string other_size = saved;
  put_u64(other_size, kStateSizeAt, 512, 4);
  EXPECT_FALSE(Digest().restore(resigned(other_size)).ok());
  std::string other_tag = saved;
  other_tag[3] = '2';
  EXPECT_FALSE(Digest().restore(resigned(other_tag)).ok());
}

// Forged counters with a valid check digest: XXH3 would index its buffer
// and secret with them, so they must be ones it could have reached.
TEST(DigestStateTest, CountersOutOfTheirBoundsAreRefused) {
  const std::string message = test_message(3000);
  Digest fed;
  fed.update(message.data(), message.size());
  const std::string saved = fed.save();
  std::string buffered = saved;
  put_u64(buffered, kBufferedAt, 257, 4);
  EXPECT_FALSE(Digest().restore(resigned(buffered)).ok());
  std::string no_buffer = saved;
  put_u64(no_buffer, kBufferedAt, 0, 4);
  EXPECT_FALSE(Digest().restore(resigned(no_buffer)).ok());
  std::string stripes = saved;
  put_u64(stripes, kStripesAt, 16, 8);  // a block holds 16 stripes: 0..15
  EXPECT_FALSE(Digest().restore(resigned(stripes)).ok());
  put_u64(stripes, kStripesAt, ~std::uint64_t{0}, 8);
  EXPECT_FALSE(Digest().restore(resigned(stripes)).ok());

  Digest small;
  small.update("abc", 3);
  std::string short_total = small.save();
  put_u64(short_total, kTotalAt, 200, 8);  // 3 bytes buffered, 200 claimed
  EXPECT_FALSE(Digest().restore(resigned(short_total)).ok());
  std::string short_stripes = small.save();
  put_u64(short_stripes, kStripesAt, 1, 8);
  EXPECT_FALSE(Digest().restore(resigned(short_stripes)).ok());
}

TEST(DigestStateTest, CopyFromTakesTheStateAndLeavesTheSource) {
  Digest a;
  a.update("ab", 2);
  Digest b;
  b.update("zzz", 3);
  b.copy_from(a);
  EXPECT_EQ(b.length(), 2U);
  b.update("c", 1);
  EXPECT_EQ(b.hex_digest(), kAbc);
  a.update("c", 1);
  EXPECT_EQ(a.hex_digest(), kAbc);
  b.copy_from(b);
  EXPECT_EQ(b.hex_digest(), kAbc);
}

// ---- is_digest_hex --------------------------------------------------------------------

TEST(IsDigestHexTest, Accepts32LowerCaseHexDigits) {
  EXPECT_TRUE(is_digest_hex(kEmpty));
  EXPECT_TRUE(is_digest_hex(kAbc));
  EXPECT_TRUE(is_digest_hex(std::string(32, '0')));
  EXPECT_TRUE(is_digest_hex(std::string(32, 'f')));
  EXPECT_TRUE(is_digest_hex(std::string(16, '9') + std::string(16, 'a')));
}

TEST(IsDigestHexTest, RefusesWrongLengths) {
  const std::string abc = kAbc;
  EXPECT_FALSE(is_digest_hex(""));
  EXPECT_FALSE(is_digest_hex("a"));
  EXPECT_FALSE(is_digest_hex(abc.substr(0, 31)));
  EXPECT_FALSE(is_digest_hex(abc.substr(1)));
  EXPECT_FALSE(is_digest_hex(abc + "0"));
  EXPECT_FALSE(is_digest_hex("0" + abc));
  EXPECT_FALSE(is_digest_hex(abc + abc));
}

TEST(IsDigestHexTest, RefusesUpperCaseAndNonHex) {
  const std::string abc = kAbc;
  std::string upper = abc;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_FALSE(is_digest_hex(upper));
  // One bad character at the start, the middle, the end.
  for (const std::size_t at : {std::size_t{0}, std::size_t{15}, std::size_t{31}}) {
    for (const char bad : {'A', 'F', 'g', 'G', 'x', ' ', '-', '/', ':', '`', '@', '\0', '\n'}) {
      std::string s = abc;
      s[at] = bad;
      EXPECT_FALSE(is_digest_hex(s)) << "'" << bad << "' at " << at;
    }
  }
  // Every byte value in one position: exactly 0-9 and a-f pass.
  std::string accepted;
  for (int b = 0; b < 256; ++b) {
    std::string s = abc;
    s[10] = static_cast<char>(b);
    if (is_digest_hex(s)) {
      accepted.push_back(static_cast<char>(b));
    }
  }
  EXPECT_EQ(accepted, "0123456789abcdef");
}

// ---- hash_prefix ----------------------------------------------------------------------

// A reader over `data` that records the calls it gets.
struct RecordingReader {
  std::string data;
  std::size_t max_piece = static_cast<std::size_t>(-1);      // returns at most this much per call
  std::vector<std::pair<std::uint64_t, std::size_t>> calls;  // (offset, max)

  ReadAt reader() {
    return [this](char* out, std::size_t max, std::uint64_t offset) -> Result<std::size_t> {
      calls.emplace_back(offset, max);
      if (offset >= data.size()) {
        return std::size_t{0};
      }
      const std::size_t n = std::min({max, max_piece, data.size() - offset});
      std::copy_n(data.data() + offset, n, out);
      return n;
    };
  }
};

TEST(HashPrefixTest, HashesExactlyTheFirstLengthBytes) {
  RecordingReader r{"abcdef"};
  Digest h;
  ASSERT_TRUE(hash_prefix(r.reader(), 3, h).ok());
  EXPECT_EQ(h.hex_digest(), kAbc);
  ASSERT_FALSE(r.calls.empty());
  EXPECT_EQ(r.calls[0].first, 0U);
  for (const auto& call : r.calls) {
    EXPECT_LE(call.first + call.second, 3U) << "read beyond the prefix";
  }
}

TEST(HashPrefixTest, ContinuesTheGivenHash) {
  RecordingReader r{"bc"};
  Digest h;
  h.update("a", 1);
  ASSERT_TRUE(hash_prefix(r.reader(), 2, h).ok());
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(HashPrefixTest, ZeroLengthReadsNothing) {
  RecordingReader r{"abc"};
  Digest h;
  ASSERT_TRUE(hash_prefix(r.reader(), 0, h).ok());
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

TEST(HashPrefixTest, ShortReadsAreContinuedAtTheRightOffsets) {
  RecordingReader r{test_message(1000)};
  r.max_piece = 7;
  Digest h;
  ASSERT_TRUE(hash_prefix(r.reader(), 1000, h).ok());
  EXPECT_EQ(h.hex_digest(), hash_of(r.data));
  std::uint64_t expected_offset = 0;
  for (const auto& call : r.calls) {
    EXPECT_EQ(call.first, expected_offset);
    expected_offset += std::min<std::uint64_t>(7, 1000 - call.first);
  }
  EXPECT_EQ(expected_offset, 1000U);
}

TEST(HashPrefixTest, LargeInputInPiecesOfAtMostOneMebibyte) {
  RecordingReader r{std::string(3 * (1U << 20) + 5, 'a')};
  Digest h;
  ASSERT_TRUE(hash_prefix(r.reader(), r.data.size(), h).ok());
  EXPECT_EQ(h.hex_digest(), hash_of(r.data));
  ASSERT_EQ(r.calls.size(), 4U);
  for (const auto& call : r.calls) {
    EXPECT_LE(call.second, 1U << 20);
  }
}

TEST(HashPrefixTest, DataEndingEarlyIsAnIoError) {
  RecordingReader r{"ab"};
  Digest h;
  auto ok = hash_prefix(r.reader(), 3, h);
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, Errc::kIo);
}

TEST(HashPrefixTest, ReaderErrorIsPassedOn) {
  Digest h;
  int calls = 0;
  auto ok = hash_prefix(
      [&](char*, std::size_t, std::uint64_t) -> Result<std::size_t> {
        ++calls;
        return make_error(Errc::kLocal, "disk on fire");
      },
      10, h);
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, Errc::kLocal);
  EXPECT_EQ(ok.error().message, "disk on fire");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace sfs::crypto
