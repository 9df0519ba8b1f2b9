#pragma once
// Frame headers: a 4-byte big-endian length before each chunk of file data.
// The top bit marks a compressed frame (a connection that agreed on
// `COMPRESS zstd`): its payload is one zstd frame, and the length is that of
// the payload on the wire.
//
//   char h[4]; encode_frame_header(262144, h);
//   decode_frame_header(h) -> Frame{kData, 262144, false}
//   encode_frame_header(9000, h, /*compressed=*/true);
//   decode_frame_header(h, kMaxFrameBytes, /*compressed_allowed=*/true)
//       -> Frame{kData, 9000, true}

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "protocol/limits.h"

namespace sfs::protocol {

inline constexpr std::uint32_t kEndFrame = 0;
inline constexpr std::uint32_t kAbortFrame = 0xFFFFFFFFU;
// Set in the header of a compressed data frame; the other 31 bits are the
// payload's length. (kAbortFrame has it set too, and stays the abort.)
inline constexpr std::uint32_t kCompressedFlag = 0x80000000U;

struct Frame {
  enum class Kind { kData, kEnd, kAbort };
  Kind kind = Kind::kEnd;
  std::uint32_t length = 0;  // bytes of payload that follow (kData only)
  bool compressed = false;   // the payload is one zstd frame (kData only)
};

// `length` must be at most kMaxFrameBytes for a compressed frame.
void encode_frame_header(std::uint32_t length, std::span<char, kFrameHeaderBytes> out,
                         bool compressed = false);

// Rejects (kProtocol) any payload length above `max_length`, before anyone
// allocates for it, a compressed frame unless `compressed_allowed` (the
// connection agreed on compression), and a compressed frame of length 0.
Result<Frame> decode_frame_header(std::span<const char, kFrameHeaderBytes> in,
                                  std::uint32_t max_length = kMaxFrameBytes,
                                  bool compressed_allowed = false);

}  // namespace sfs::protocol
