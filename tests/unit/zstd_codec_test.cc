#include "compress/zstd_codec.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace sfs::compress {
namespace {

constexpr std::size_t kLimit = 4U << 20;  // the protocol's frame limit

std::string log_text(std::size_t n) {
  std::string text;
  for (unsigned i = 0; text.size() < n; ++i) {
    text += "2026-11-25T10:00:" + std::to_string(i % 60) +
            " INFO request id=" + std::to_string(i * 7919 % 100000) +
            " path=/api/v1/items status=200\n";
  }
  text.resize(n);
  return text;
}

std::string random_bytes(std::size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(rng());
  }
  return bytes;
}

// A zstd frame made by libzstd directly (content size recorded unless told).
std::string zstd_frame(const std::string& data, bool content_size = true) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const std::size_t n = ZSTD_compress2(ctx, out.data(), out.size(), data.data(), data.size());
  ZSTD_freeCCtx(ctx);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Rewrites the content size a zstd frame header declares (the field keeps
// its width, so `size` must fit it).
void set_content_size(std::string& frame, std::uint64_t size) {
  const auto fhd = static_cast<unsigned char>(frame[4]);
  const unsigned fcs_flag = fhd >> 6;
  const bool single_segment = (fhd & 0x20) != 0;
  const unsigned dict_bytes[] = {0, 1, 2, 4};
  std::size_t at = 5 + (single_segment ? 0 : 1) + dict_bytes[fhd & 3];
  const unsigned width[] = {single_segment ? 1U : 0U, 2, 4, 8};
  ASSERT_GT(width[fcs_flag], 0U);
  const std::uint64_t value = fcs_flag == 1 ? size - 256 : size;
  for (unsigned i = 0; i < width[fcs_flag]; ++i) {
    frame[at + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

std::string inflate(const std::string& payload, std::size_t limit = kLimit) {
  auto size = content_size(payload.data(), payload.size(), limit);
  EXPECT_TRUE(size.ok()) << (size.ok() ? "" : size.error().message);
  if (!size) {
    return {};
  }
  std::string out(*size, '\0');
  auto ok = decompress(payload.data(), payload.size(), out.data(), out.size());
  EXPECT_TRUE(ok.ok()) << (ok.ok() ? "" : ok.error().message);
  return out;
}

TEST(ZstdCodecTest, TextShrinksAndRoundTrips) {
  const std::string text = log_text(256 << 10);
  std::string packed(text.size(), '\0');
  Compressor c;
  const std::size_t n = c.compress(text.data(), text.size(), packed.data(), packed.size());
  ASSERT_GT(n, 0U);
  EXPECT_LT(n, text.size() / 5);
  packed.resize(n);
  EXPECT_EQ(inflate(packed), text);
}

TEST(ZstdCodecTest, OneCompressorForManyFrames) {
  Compressor c;
  for (unsigned i = 0; i < 20; ++i) {
    const std::string text = log_text(1000 + i * 5000);
    std::string packed(text.size(), '\0');
    const std::size_t n = c.compress(text.data(), text.size(), packed.data(), packed.size());
    ASSERT_GT(n, 0U) << i;
    std::string out(text.size(), '\0');
    ASSERT_TRUE(decompress(packed.data(), n, out.data(), out.size()).ok());
    EXPECT_EQ(out, text);
  }
}

// The zstd contexts are one per thread, shared by every Compressor on it:
// frames of compressors with different levels, interleaved on one thread,
// are each packed at their own level (as a compressor alone on a thread
// packs them), and other threads pack and unpack meanwhile.
TEST(ZstdCodecTest, CompressorsOfDifferentLevelsShareAThreadsContext) {
  const std::string text = log_text(256 << 10);
  auto packed_size = [&text](Compressor& c) {
    std::string packed(text.size(), '\0');
    const std::size_t n = c.compress(text.data(), text.size(), packed.data(), packed.size());
    packed.resize(n);
    EXPECT_EQ(inflate(packed), text);
    return n;
  };
  std::size_t alone_fast = 0;
  std::size_t alone_small = 0;
  std::thread([&] {
    Compressor fast(1);
    alone_fast = packed_size(fast);
  }).join();
  std::thread([&] {
    Compressor small(19);
    alone_small = packed_size(small);
  }).join();
  ASSERT_LT(alone_small, alone_fast);  // else the levels could not be told apart
  Compressor fast(1);
  Compressor small(19);
  std::thread other([&] {
    Compressor mid(3);
    for (unsigned i = 0; i < 4; ++i) {
      EXPECT_GT(packed_size(mid), 0U);
    }
  });
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(packed_size(fast), alone_fast) << i;
    EXPECT_EQ(packed_size(small), alone_small) << i;
  }
  other.join();
}

TEST(ZstdCodecTest, RandomDataGoesRaw) {
  Compressor c;
  const std::string noise = random_bytes(256 << 10);
  std::string out(noise.size(), '\0');
  EXPECT_EQ(c.compress(noise.data(), noise.size(), out.data(), out.size()), 0U);
}

// After `failures` frames in a row that did not shrink, how many frames are
// sent raw untried before the next try (probed with compressible text).
unsigned skipped_after(unsigned failures) {
  Compressor c;
  const std::string noise = random_bytes(16 << 10);
  const std::string text = log_text(16 << 10);
  std::string out(16 << 10, '\0');
  unsigned backoff = 0;
  for (unsigned f = 0; f < failures; ++f) {
    // the untried frames the last failure earned, then one that is tried
    for (unsigned i = 0; i <= backoff; ++i) {
      EXPECT_EQ(c.compress(noise.data(), noise.size(), out.data(), out.size()), 0U);
    }
    backoff = std::min(backoff == 0 ? 1U : backoff * 2, 16U);
  }
  unsigned skipped = 0;
  while (c.compress(text.data(), text.size(), out.data(), out.size()) == 0 && skipped < 100) {
    ++skipped;
  }
  return skipped;
}

TEST(ZstdCodecTest, FramesThatDoNotShrinkBackOffUpTo16) {
  EXPECT_EQ(skipped_after(0), 0U);
  EXPECT_EQ(skipped_after(1), 1U);
  EXPECT_EQ(skipped_after(2), 2U);
  EXPECT_EQ(skipped_after(3), 4U);
  EXPECT_EQ(skipped_after(4), 8U);
  EXPECT_EQ(skipped_after(5), 16U);
  EXPECT_EQ(skipped_after(7), 16U);
}

TEST(ZstdCodecTest, NotEnoughGainGoesRaw) {
  // Random bytes with a little text in it: shrinks by less than 3%.
  std::string mostly_noise = random_bytes(100000) + log_text(1000);
  std::string out(mostly_noise.size(), '\0');
  Compressor c;
  EXPECT_EQ(c.compress(mostly_noise.data(), mostly_noise.size(), out.data(), out.size()), 0U);
  // A tiny frame cannot gain anything worth a compressed header.
  Compressor fresh;
  EXPECT_EQ(fresh.compress("a", 1, out.data(), out.size()), 0U);
  EXPECT_EQ(fresh.compress("", 0, out.data(), out.size()), 0U);
}

void expect_refused(const std::string& payload, std::size_t limit = kLimit) {
  auto size = content_size(payload.data(), payload.size(), limit);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.error().code, Errc::kProtocol);
}

TEST(ZstdCodecTest, BombDeclaringMoreThanTheLimitIsRefusedBeforeInflating) {
  const std::string zeros(8U << 20, '\0');
  const std::string bomb = zstd_frame(zeros);
  EXPECT_LT(bomb.size(), 1024U);  // 8 MiB in well under a KiB
  expect_refused(bomb);
  // And against a smaller limit, such as what is left of a transfer.
  const std::string small = zstd_frame(log_text(10000));
  expect_refused(small, 9999);
  EXPECT_TRUE(content_size(small.data(), small.size(), 10000).ok());
}

TEST(ZstdCodecTest, FrameWithoutContentSizeIsRefused) {
  expect_refused(zstd_frame(log_text(5000), /*content_size=*/false));
}

TEST(ZstdCodecTest, FalseContentSizeIsProtocolError) {
  const std::string text = log_text(100000);
  for (const std::uint64_t lie : {99999ULL, 100001ULL, 65536ULL, 200000ULL}) {
    std::string frame = zstd_frame(text);
    set_content_size(frame, lie);
    auto size = content_size(frame.data(), frame.size(), kLimit);
    ASSERT_TRUE(size.ok()) << lie;  // the header alone cannot tell
    ASSERT_EQ(*size, lie);
    std::vector<char> out(*size);
    auto ok = decompress(frame.data(), frame.size(), out.data(), out.size());
    ASSERT_FALSE(ok.ok()) << lie;
    EXPECT_EQ(ok.error().code, Errc::kProtocol);
  }
}

TEST(ZstdCodecTest, BombProducingMoreThanDeclaredIsProtocolError) {
  // 8 MiB of zeros declared as 100000 bytes: inflating stops at the buffer.
  std::string frame = zstd_frame(std::string(8U << 20, '\0'));
  set_content_size(frame, 100000);
  auto size = content_size(frame.data(), frame.size(), kLimit);
  ASSERT_TRUE(size.ok());
  std::vector<char> out(*size);
  auto ok = decompress(frame.data(), frame.size(), out.data(), out.size());
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, Errc::kProtocol);
}

TEST(ZstdCodecTest, OnlyExactlyOneFrame) {
  const std::string one = zstd_frame(log_text(1000));
  expect_refused(one + zstd_frame(std::string(8U << 20, 'x')));  // a second frame
  expect_refused(one + "x");                                     // trailing junk
  expect_refused(one.substr(0, one.size() - 1));                 // cut short
  // A skippable frame declares no content.
  const std::string skippable(
      "\x50\x2A\x4D\x18\x04\x00\x00\x00"
      "abcd",
      12);
  expect_refused(skippable);
  expect_refused(skippable + one);
}

TEST(ZstdCodecTest, GarbageIsRefused) {
  expect_refused("");
  expect_refused("x");
  expect_refused(random_bytes(1000, 7));
  expect_refused(std::string("\x28\xB5\x2F\xFD", 4));  // the magic alone
  // Damaged blocks behind a valid header: refused when inflating.
  std::string frame = zstd_frame(log_text(50000));
  for (std::size_t i = 12; i < frame.size(); i += 7) {
    frame[i] = static_cast<char>(frame[i] ^ 0x5A);
  }
  auto size = content_size(frame.data(), frame.size(), kLimit);
  if (size) {
    std::vector<char> out(*size);
    auto ok = decompress(frame.data(), frame.size(), out.data(), out.size());
    if (ok) {  // zstd without a checksum may decode damage to other bytes
      EXPECT_EQ(out.size(), 50000U);
    } else {
      EXPECT_EQ(ok.error().code, Errc::kProtocol);
    }
  }
}

}  // namespace
}  // namespace sfs::compress
