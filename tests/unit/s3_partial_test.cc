// The S3 backend's partial sidecar (storage/s3/s3_partial.h): what
// encode_partial writes decode_partial reads back, and hostile bodies are
// refused within their bounds.

#include "storage/s3/s3_partial.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/digest.h"

namespace sfs::storage::s3 {
namespace {

constexpr std::size_t kPart = std::size_t{8} << 20;

std::string bytes_of(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    seed = seed * 1103515245U + 12345U;
    out[i] = static_cast<char>(seed >> 16);
  }
  return out;
}

// A partial of two parts, as an upload cut past them would keep it.
Partial two_parts() {
  crypto::Digest digest;
  const std::string parts = bytes_of(std::size_t{2} * 4096, 7);  // the state of some bytes
  digest.update(parts.data(), parts.size());
  Partial p;
  p.parts = 2;
  p.part_size = kPart;
  p.upload_id = "2~abcDEF-123_x";
  p.key = "prefix/u/alice/dir/file name.bin";
  p.digest_state = digest.save();
  p.tail = bytes_of(1000, 9) + "\n\nsfs-partial 2\n";  // any bytes, newlines too
  return p;
}

void expect_same(const Partial& a, const Partial& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.parts, b.parts);
  EXPECT_EQ(a.part_size, b.part_size);
  EXPECT_EQ(a.upload_id, b.upload_id);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.digest_state, b.digest_state);
  EXPECT_EQ(a.tail, b.tail);
}

std::string damaged_message() { return "damaged S3 partial sidecar"; }

void expect_refused(std::string_view body) {
  auto decoded = decode_partial(body);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << body.substr(0, 200);
  EXPECT_EQ(decoded.error().code, Errc::kIo);
  EXPECT_EQ(decoded.error().message, damaged_message());
}

TEST(S3PartialTest, RoundTripWithParts) {
  const Partial p = two_parts();
  const std::string body = encode_partial(p);
  EXPECT_TRUE(body.starts_with("sfs-partial 2\n2\n8388608\n2~abcDEF-123_x\n"));
  auto decoded = decode_partial(body);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  expect_same(*decoded, p);
  // The state read back continues the digest.
  crypto::Digest digest;
  auto covered = digest.restore(decoded->digest_state);
  ASSERT_TRUE(covered.ok());
  EXPECT_EQ(*covered, 2U * 4096);
}

TEST(S3PartialTest, RoundTripWithoutParts) {
  Partial p;
  p.part_size = kPart;
  p.key = "k";
  p.tail = "abc";
  auto decoded = decode_partial(encode_partial(p));
  ASSERT_TRUE(decoded.ok());
  expect_same(*decoded, p);
  Partial empty_tail = p;
  empty_tail.tail.clear();
  auto again = decode_partial(encode_partial(empty_tail));
  ASSERT_TRUE(again.ok());
  expect_same(*again, empty_tail);
}

// An older build's sidecar: read (its multipart upload can be aborted),
// with no part size and no digest state.
TEST(S3PartialTest, VersionOneIsRead) {
  auto decoded = decode_partial("sfs-partial 1\n3\nid-1\nprefix/u/bob/f\ntail bytes");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(decoded->parts, 3);
  EXPECT_EQ(decoded->part_size, 0U);
  EXPECT_EQ(decoded->upload_id, "id-1");
  EXPECT_EQ(decoded->key, "prefix/u/bob/f");
  EXPECT_TRUE(decoded->digest_state.empty());
  EXPECT_EQ(decoded->tail, "tail bytes");
  expect_refused("sfs-partial 1\n3\n\nk\n");  // parts without an upload id
}

TEST(S3PartialTest, EveryTruncationOfTheHeaderIsRefused) {
  const std::string body = encode_partial(two_parts());
  const std::size_t header = body.size() - two_parts().tail.size();
  for (std::size_t n = 0; n < header; ++n) {
    SCOPED_TRACE(n);
    expect_refused(std::string_view(body).substr(0, n));
  }
  EXPECT_TRUE(decode_partial(std::string_view(body).substr(0, header)).ok());  // no tail yet
}

TEST(S3PartialTest, OtherMagicsAreRefused) {
  const std::string rest = encode_partial(two_parts()).substr(14);
  expect_refused("");
  expect_refused("sfs-partial 3\n" + rest);
  expect_refused("sfs-partial 0\n" + rest);
  expect_refused("SFS-PARTIAL 2\n" + rest);
  expect_refused("sfs-partial 2\r\n" + rest);
  expect_refused(" sfs-partial 2\n" + rest);
}

// "sfs-partial 2\n<parts>\n<part size>\n<id>\n<key>\n<state>\n<tail>" with
// one field replaced.
std::string with_fields(const std::string& parts, const std::string& part_size,
                        const std::string& id, const std::string& key, const std::string& state) {
  return "sfs-partial 2\n" + parts + "\n" + part_size + "\n" + id + "\n" + key + "\n" + state +
         "\ntail";
}

class S3PartialFieldsTest : public ::testing::Test {
 protected:
  std::string state_hex() const {
    const std::string body = encode_partial(two_parts());
    std::size_t at = 0;
    for (int i = 0; i < 5; ++i) {
      at = body.find('\n', at) + 1;
    }
    return body.substr(at, body.find('\n', at) - at);
  }
  std::string good(const std::string& parts = "2") const {
    return with_fields(parts, "8388608", "id", "k", state_hex());
  }
};

TEST_F(S3PartialFieldsTest, TheGoodOneIsAccepted) {
  EXPECT_TRUE(decode_partial(good()).ok());
  EXPECT_TRUE(decode_partial(good("10000")).ok());
}

TEST_F(S3PartialFieldsTest, BadCountsOfPartsAreRefused) {
  for (const char* parts :
       {"", "-1", "+2", " 2", "2 ", "02", "00", "0x2", "10001", "99999999999", "1e3", "２"}) {
    SCOPED_TRACE(parts);
    expect_refused(good(parts));
  }
}

TEST_F(S3PartialFieldsTest, BadPartSizesAreRefused) {
  for (const char* size :
       {"", "0", "-8388608", "8388608 ", "08388608", "5368709121", "99999999999", "8M"}) {
    SCOPED_TRACE(size);
    expect_refused(with_fields("2", size, "id", "k", state_hex()));
  }
  EXPECT_TRUE(decode_partial(with_fields("2", "5368709120", "id", "k", state_hex())).ok());
}

TEST_F(S3PartialFieldsTest, UploadIdMustGoWithParts) {
  expect_refused(with_fields("2", "8388608", "", "k", state_hex()));
  expect_refused(with_fields("0", "8388608", "id", "k", ""));
  EXPECT_TRUE(decode_partial(with_fields("0", "8388608", "", "k", "")).ok());
}

TEST_F(S3PartialFieldsTest, BadDigestStatesAreRefused) {
  const std::string hex = state_hex();
  ASSERT_EQ(hex.size(), 2 * crypto::kSavedStateBytes);
  expect_refused(with_fields("2", "8388608", "id", "k", ""));  // parts, no state
  expect_refused(with_fields("0", "8388608", "", "k", hex));   // a state, no parts
  expect_refused(with_fields("2", "8388608", "id", "k", hex + "00"));
  expect_refused(with_fields("2", "8388608", "id", "k", hex.substr(2)));
  std::string upper = hex;
  for (char& c : upper) {
    c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  }
  if (upper != hex) {
    expect_refused(with_fields("2", "8388608", "id", "k", upper));
  }
  std::string not_hex = hex;
  not_hex[10] = 'g';
  expect_refused(with_fields("2", "8388608", "id", "k", not_hex));
}

// A header line must end within kMaxPartialHeader bytes: a damaged sidecar
// is not searched to its end for a newline.
TEST_F(S3PartialFieldsTest, HeaderLinesPastTheBoundAreRefused) {
  const std::string long_key(kMaxPartialHeader, 'k');
  expect_refused(with_fields("2", "8388608", "id", long_key, state_hex()));
  const std::string long_id(kMaxPartialHeader, 'i');
  expect_refused(with_fields("2", "8388608", long_id, "k", state_hex()));
  expect_refused("sfs-partial 2\n" + std::string(10 * kMaxPartialHeader, '1'));
  // A key of S3's largest size fits.
  EXPECT_TRUE(
      decode_partial(with_fields("2", "8388608", "id", std::string(1024, 'k'), state_hex())).ok());
}

// A state that decodes is not yet one to trust: Digest::restore checks it
// (tests/unit/digest_test.cc); a forged one in a well-formed sidecar is
// refused there.
TEST_F(S3PartialFieldsTest, AWellFormedForgedStateIsRefusedByTheDigest) {
  std::string hex = state_hex();
  hex[100] = hex[100] == '0' ? '1' : '0';
  const std::string good = state_hex();
  for (const std::string& forged :
       {hex, good.substr(1) + "0", good.substr(2) + good.substr(0, 2)}) {
    auto decoded = decode_partial(with_fields("2", "8388608", "id", "k", forged));
    ASSERT_TRUE(decoded.ok());
    crypto::Digest digest;
    EXPECT_FALSE(digest.restore(decoded->digest_state).ok());
  }
}

}  // namespace
}  // namespace sfs::storage::s3
