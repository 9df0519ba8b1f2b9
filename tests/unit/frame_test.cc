#include "protocol/frame.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

namespace sfs::protocol {
namespace {

using Header = std::array<char, kFrameHeaderBytes>;

Header encode(std::uint32_t length) {
  Header h{};
  encode_frame_header(length, h);
  return h;
}

Header bytes(unsigned a, unsigned b, unsigned c, unsigned d) {
  return Header{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                static_cast<char>(d)};
}

TEST(FrameHeaderTest, EncodeIsBigEndian) {
  EXPECT_EQ(encode(0), bytes(0, 0, 0, 0));
  EXPECT_EQ(encode(1), bytes(0, 0, 0, 1));
  EXPECT_EQ(encode(262144), bytes(0, 4, 0, 0));
  EXPECT_EQ(encode(0x01020304), bytes(1, 2, 3, 4));
  EXPECT_EQ(encode(kMaxFrameBytes), bytes(0, 0x40, 0, 0));
  EXPECT_EQ(encode(0xFFFFFFFFU), bytes(0xFF, 0xFF, 0xFF, 0xFF));
  EXPECT_EQ(encode(0x80FF7F01U), bytes(0x80, 0xFF, 0x7F, 0x01));
}

TEST(FrameHeaderTest, ZeroIsEnd) {
  auto f = decode_frame_header(bytes(0, 0, 0, 0));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kEnd);
  EXPECT_EQ(f->length, 0U);
}

TEST(FrameHeaderTest, AllOnesIsAbort) {
  auto f = decode_frame_header(bytes(0xFF, 0xFF, 0xFF, 0xFF));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kAbort);
  EXPECT_EQ(f->length, 0U);
  // Also with a small custom limit.
  auto g = decode_frame_header(encode(kAbortFrame), 16);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->kind, Frame::Kind::kAbort);
}

TEST(FrameHeaderTest, DataLengths) {
  for (const std::uint32_t length : {1U, 2U, 255U, 256U, 65535U, 65536U, kDefaultFrameBytes,
                                     kMaxFrameBytes - 1, kMaxFrameBytes}) {
    auto f = decode_frame_header(encode(length));
    ASSERT_TRUE(f.ok()) << length;
    EXPECT_EQ(f->kind, Frame::Kind::kData) << length;
    EXPECT_EQ(f->length, length);
  }
}

TEST(FrameHeaderTest, MaxIsFourMebibytes) { EXPECT_EQ(kMaxFrameBytes, 4194304U); }

TEST(FrameHeaderTest, TooLargeIsProtocolError) {
  for (const std::uint32_t length :
       {kMaxFrameBytes + 1, kMaxFrameBytes * 2, 0x7FFFFFFFU, 0x80000000U, 0xFFFFFFFEU}) {
    auto f = decode_frame_header(encode(length));
    ASSERT_FALSE(f.ok()) << length;
    EXPECT_EQ(f.error().code, Errc::kProtocol) << length;
  }
}

TEST(FrameHeaderTest, CustomMax) {
  auto at = decode_frame_header(encode(100), 100);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->kind, Frame::Kind::kData);
  EXPECT_EQ(at->length, 100U);
  auto above = decode_frame_header(encode(101), 100);
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.error().code, Errc::kProtocol);
  auto end = decode_frame_header(encode(0), 100);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->kind, Frame::Kind::kEnd);
  // A larger custom limit admits frames above the default.
  auto big = decode_frame_header(encode(kMaxFrameBytes + 1), kMaxFrameBytes * 2);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->length, kMaxFrameBytes + 1);
  // A limit of 1 byte.
  ASSERT_TRUE(decode_frame_header(encode(1), 1).ok());
  EXPECT_FALSE(decode_frame_header(encode(2), 1).ok());
}

TEST(FrameHeaderTest, EncodeDecodeRoundTrip) {
  for (std::uint64_t length = 1; length <= kMaxFrameBytes; length = length * 3 + 1) {
    const auto l = static_cast<std::uint32_t>(length);
    auto f = decode_frame_header(encode(l));
    ASSERT_TRUE(f.ok()) << l;
    EXPECT_EQ(f->kind, Frame::Kind::kData);
    EXPECT_EQ(f->length, l);
  }
}

TEST(FrameHeaderGarbageTest, RandomHeaders) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t raw = rng();
    const std::uint32_t value = raw >> (rng() % 32);  // spread over magnitudes
    const std::uint32_t max = i % 3 == 0 ? kMaxFrameBytes : rng();
    const Header h = bytes(value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF);
    auto f = decode_frame_header(h, max);
    if (value == 0) {
      ASSERT_TRUE(f.ok());
      EXPECT_EQ(f->kind, Frame::Kind::kEnd);
    } else if (value == 0xFFFFFFFFU) {
      ASSERT_TRUE(f.ok());
      EXPECT_EQ(f->kind, Frame::Kind::kAbort);
    } else if (value <= max && value < kCompressedFlag) {
      ASSERT_TRUE(f.ok()) << value << " " << max;
      EXPECT_EQ(f->kind, Frame::Kind::kData);
      EXPECT_EQ(f->length, value);
    } else {
      ASSERT_FALSE(f.ok()) << value << " " << max;
      EXPECT_EQ(f.error().code, Errc::kProtocol);
    }
    EXPECT_EQ(encode(value), h);
  }
}

// ---- compressed frames (COMPRESS zstd) ------------------------------------------

Header encode_compressed(std::uint32_t length) {
  Header h{};
  encode_frame_header(length, h, /*compressed=*/true);
  return h;
}

TEST(CompressedFrameHeaderTest, TopBitMarksCompressed) {
  EXPECT_EQ(encode_compressed(1), bytes(0x80, 0, 0, 1));
  EXPECT_EQ(encode_compressed(262144), bytes(0x80, 4, 0, 0));
  EXPECT_EQ(encode_compressed(kMaxFrameBytes), bytes(0x80, 0x40, 0, 0));
}

TEST(CompressedFrameHeaderTest, RoundTrip) {
  for (const std::uint32_t length : {1U, 17U, 65536U, kDefaultFrameBytes, kMaxFrameBytes}) {
    auto f = decode_frame_header(encode_compressed(length), kMaxFrameBytes, true);
    ASSERT_TRUE(f.ok()) << length;
    EXPECT_EQ(f->kind, Frame::Kind::kData);
    EXPECT_EQ(f->length, length);
    EXPECT_TRUE(f->compressed);
    // The same length without the flag is a plain data frame.
    auto plain = decode_frame_header(encode(length), kMaxFrameBytes, true);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->compressed);
    EXPECT_EQ(plain->length, length);
  }
}

TEST(CompressedFrameHeaderTest, RefusedUnlessAgreed) {
  auto f = decode_frame_header(encode_compressed(100));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::kProtocol);
  EXPECT_EQ(f.error().message, "compressed frame without COMPRESS");
  // Headers that are no frame at all keep their old reason.
  for (const std::uint32_t value : {0x80000000U, 0xFFFFFFFEU, 0x80400001U}) {
    const Header h = bytes(value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF);
    auto g = decode_frame_header(h);
    ASSERT_FALSE(g.ok()) << value;
    EXPECT_EQ(g.error().message, "frame too large") << value;
  }
}

TEST(CompressedFrameHeaderTest, LengthLimitAppliesToThePayload) {
  auto above = decode_frame_header(encode_compressed(kMaxFrameBytes + 1), kMaxFrameBytes, true);
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.error().code, Errc::kProtocol);
  auto custom = decode_frame_header(encode_compressed(101), 100, true);
  ASSERT_FALSE(custom.ok());
  auto top = decode_frame_header(bytes(0xFF, 0xFF, 0xFF, 0xFE), kMaxFrameBytes, true);
  ASSERT_FALSE(top.ok());
}

TEST(CompressedFrameHeaderTest, EmptyCompressedFrameIsProtocolError) {
  auto f = decode_frame_header(bytes(0x80, 0, 0, 0), kMaxFrameBytes, true);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::kProtocol);
}

TEST(CompressedFrameHeaderTest, EndAndAbortUnchanged) {
  auto end = decode_frame_header(bytes(0, 0, 0, 0), kMaxFrameBytes, true);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->kind, Frame::Kind::kEnd);
  auto abort = decode_frame_header(bytes(0xFF, 0xFF, 0xFF, 0xFF), kMaxFrameBytes, true);
  ASSERT_TRUE(abort.ok());
  EXPECT_EQ(abort->kind, Frame::Kind::kAbort);
  EXPECT_FALSE(abort->compressed);
}

TEST(CompressedFrameHeaderTest, RandomHeadersNeverExceedTheLimit) {
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t value = rng() >> (rng() % 32);
    const Header h = bytes(value >> 24, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF);
    auto f = decode_frame_header(h, kMaxFrameBytes, true);
    if (f && f->kind == Frame::Kind::kData) {
      EXPECT_LE(f->length, kMaxFrameBytes);
      EXPECT_GE(f->length, 1U);
      EXPECT_EQ(f->compressed, (value & kCompressedFlag) != 0);
    }
  }
}

}  // namespace
}  // namespace sfs::protocol
