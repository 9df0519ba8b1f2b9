#include "crypto/sha256.h"

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

constexpr char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kA[] = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
constexpr char kMillionA[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
// FIPS 180-2, appendix B.2: two blocks.
constexpr char kTwoBlockMessage[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr char kTwoBlock[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

std::string hash_of(std::string_view data) {
  Sha256 h;
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

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(hash_of(""), kEmpty);
  EXPECT_EQ(hash_of("abc"), kAbc);
  EXPECT_EQ(hash_of("a"), kA);
  EXPECT_EQ(hash_of(kTwoBlockMessage), kTwoBlock);
}

TEST(Sha256Test, NothingFedIsTheEmptyDigest) {
  Sha256 h;
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

TEST(Sha256Test, MillionAInOneUpdate) { EXPECT_EQ(hash_of(std::string(1000000, 'a')), kMillionA); }

TEST(Sha256Test, MillionAInUnevenPieces) {
  const std::string a(1000000, 'a');
  Sha256 h;
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

TEST(Sha256Test, EmptyUpdatesChangeNothing) {
  Sha256 h;
  h.update("", 0);
  h.update("abc", 3);
  h.update(nullptr, 0);
  h.update("abc", 0);
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(Sha256Test, BinaryDigestAndToHex) {
  Sha256 h;
  h.update("abc", 3);
  const Sha256::Digest d = h.digest();
  EXPECT_EQ(d[0], 0xBA);
  EXPECT_EQ(d[1], 0x78);
  EXPECT_EQ(d[31], 0xAD);
  EXPECT_EQ(to_hex(d), kAbc);
  Sha256::Digest counting{};
  for (std::size_t i = 0; i < counting.size(); ++i) {
    counting[i] = static_cast<std::uint8_t>(i * 8 + 7);
  }
  EXPECT_EQ(to_hex(counting), "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
  EXPECT_EQ(to_hex(Sha256::Digest{}), std::string(64, '0'));
}

// ---- splitting the input -------------------------------------------------------------

TEST(Sha256Test, TwoPiecesSplitAtEveryBoundary) {
  // 200 bytes: more than three 64-byte blocks, so every position within a
  // block and across block ends is a split point.
  const std::string message = test_message(200);
  const std::string whole = hash_of(message);
  for (std::size_t i = 0; i <= message.size(); ++i) {
    Sha256 h;
    h.update(message.data(), i);
    h.update(message.data() + i, message.size() - i);
    ASSERT_EQ(h.hex_digest(), whole) << "split at " << i;
  }
}

TEST(Sha256Test, ThreePiecesSplitAtEveryPairOfBoundaries) {
  const std::string message = test_message(130);
  const std::string whole = hash_of(message);
  for (std::size_t i = 0; i <= message.size(); ++i) {
    for (std::size_t j = i; j <= message.size(); ++j) {
      Sha256 h;
      h.update(message.data(), i);
      h.update(message.data() + i, j - i);
      h.update(message.data() + j, message.size() - j);
      ASSERT_EQ(h.hex_digest(), whole) << "split at " << i << " and " << j;
    }
  }
}

TEST(Sha256Test, ByteByByte) {
  const std::string message = kTwoBlockMessage;
  Sha256 h;
  for (const char c : message) {
    h.update(&c, 1);
  }
  EXPECT_EQ(h.hex_digest(), kTwoBlock);
}

// ---- digest so far / finishing / reset -------------------------------------------

TEST(Sha256Test, HexDigestSoFarDoesNotDisturbHashing) {
  Sha256 h;
  EXPECT_EQ(h.hex_digest_so_far(), kEmpty);
  h.update("a", 1);
  EXPECT_EQ(h.hex_digest_so_far(), kA);
  EXPECT_EQ(h.hex_digest_so_far(), kA);  // asking twice gives the same
  h.update("bc", 2);
  EXPECT_EQ(h.hex_digest_so_far(), kAbc);
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(Sha256Test, HexDigestSoFarAtEveryPrefix) {
  const std::string message = test_message(150);
  Sha256 h;
  for (std::size_t i = 0; i < message.size(); ++i) {
    ASSERT_EQ(h.hex_digest_so_far(), hash_of(std::string_view(message).substr(0, i))) << i;
    h.update(message.data() + i, 1);
  }
  EXPECT_EQ(h.hex_digest(), hash_of(message));
}

TEST(Sha256Test, DigestStartsOver) {
  Sha256 h;
  h.update("abc", 3);
  EXPECT_EQ(h.hex_digest(), kAbc);
  // The object starts over after finishing.
  EXPECT_EQ(h.hex_digest(), kEmpty);
  h.update("a", 1);
  EXPECT_EQ(to_hex(h.digest()), kA);
  h.update("abc", 3);
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(Sha256Test, ResetForgetsWhatWasFed) {
  Sha256 h;
  h.update("garbage", 7);
  h.reset();
  EXPECT_EQ(h.hex_digest_so_far(), kEmpty);
  h.update("abc", 3);
  EXPECT_EQ(h.hex_digest(), kAbc);
  h.reset();
  h.reset();
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

// ---- move ---------------------------------------------------------------------------

TEST(Sha256Test, MoveConstructionKeepsTheState) {
  Sha256 a;
  a.update("ab", 2);
  Sha256 b(std::move(a));
  b.update("c", 1);
  EXPECT_EQ(b.hex_digest(), kAbc);
}

TEST(Sha256Test, MoveAssignmentKeepsTheState) {
  Sha256 a;
  a.update("a", 1);
  Sha256 b;
  b.update("something else", 14);
  b = std::move(a);
  EXPECT_EQ(b.hex_digest_so_far(), kA);
  b.update("bc", 2);
  EXPECT_EQ(b.hex_digest(), kAbc);
  // A moved-from object can be assigned to again and then used.
  a = Sha256();
  a.update("abc", 3);
  EXPECT_EQ(a.hex_digest(), kAbc);
}

TEST(Sha256Test, IndependentObjects) {
  Sha256 a;
  Sha256 b;
  a.update("a", 1);
  b.update("abc", 3);
  a.update("bc", 2);
  EXPECT_EQ(a.hex_digest(), kAbc);
  EXPECT_EQ(b.hex_digest(), kAbc);
}

// ---- is_sha256_hex --------------------------------------------------------------------

TEST(IsSha256HexTest, Accepts64LowerCaseHexDigits) {
  EXPECT_TRUE(is_sha256_hex(kEmpty));
  EXPECT_TRUE(is_sha256_hex(kAbc));
  EXPECT_TRUE(is_sha256_hex(std::string(64, '0')));
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'f')));
  EXPECT_TRUE(is_sha256_hex(std::string(32, '9') + std::string(32, 'a')));
}

TEST(IsSha256HexTest, RefusesWrongLengths) {
  const std::string abc = kAbc;
  EXPECT_FALSE(is_sha256_hex(""));
  EXPECT_FALSE(is_sha256_hex("a"));
  EXPECT_FALSE(is_sha256_hex(abc.substr(0, 63)));
  EXPECT_FALSE(is_sha256_hex(abc.substr(1)));
  EXPECT_FALSE(is_sha256_hex(abc + "0"));
  EXPECT_FALSE(is_sha256_hex("0" + abc));
  EXPECT_FALSE(is_sha256_hex(abc + abc));
}

TEST(IsSha256HexTest, RefusesUpperCaseAndNonHex) {
  const std::string abc = kAbc;
  std::string upper = abc;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_FALSE(is_sha256_hex(upper));
  // One bad character at the start, the middle, the end.
  for (const std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{63}}) {
    for (const char bad : {'A', 'F', 'g', 'G', 'x', ' ', '-', '/', ':', '`', '@', '\0', '\n'}) {
      std::string s = abc;
      s[at] = bad;
      EXPECT_FALSE(is_sha256_hex(s)) << "'" << bad << "' at " << at;
    }
  }
  // Every byte value in one position: exactly 0-9 and a-f pass.
  std::string accepted;
  for (int b = 0; b < 256; ++b) {
    std::string s = abc;
    s[10] = static_cast<char>(b);
    if (is_sha256_hex(s)) {
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
  Sha256 h;
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
  Sha256 h;
  h.update("a", 1);
  ASSERT_TRUE(hash_prefix(r.reader(), 2, h).ok());
  EXPECT_EQ(h.hex_digest(), kAbc);
}

TEST(HashPrefixTest, ZeroLengthReadsNothing) {
  RecordingReader r{"abc"};
  Sha256 h;
  ASSERT_TRUE(hash_prefix(r.reader(), 0, h).ok());
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(h.hex_digest(), kEmpty);
}

TEST(HashPrefixTest, ShortReadsAreContinuedAtTheRightOffsets) {
  RecordingReader r{test_message(1000)};
  r.max_piece = 7;
  Sha256 h;
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
  Sha256 h;
  ASSERT_TRUE(hash_prefix(r.reader(), r.data.size(), h).ok());
  EXPECT_EQ(h.hex_digest(), hash_of(r.data));
  ASSERT_EQ(r.calls.size(), 4U);
  for (const auto& call : r.calls) {
    EXPECT_LE(call.second, 1U << 20);
  }
}

TEST(HashPrefixTest, DataEndingEarlyIsAnIoError) {
  RecordingReader r{"ab"};
  Sha256 h;
  auto ok = hash_prefix(r.reader(), 3, h);
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, Errc::kIo);
}

TEST(HashPrefixTest, ReaderErrorIsPassedOn) {
  Sha256 h;
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
