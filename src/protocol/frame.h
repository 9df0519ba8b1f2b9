#pragma once
// Frame headers: a 4-byte big-endian length before each chunk of file data.
//
//   char h[4]; encode_frame_header(262144, h);
//   decode_frame_header(h) -> Frame{kData, 262144}

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.h"
#include "protocol/limits.h"

namespace sfs::protocol {

inline constexpr std::uint32_t kEndFrame = 0;
inline constexpr std::uint32_t kAbortFrame = 0xFFFFFFFFU;

struct Frame {
  enum class Kind { kData, kEnd, kAbort };
  Kind kind = Kind::kEnd;
  std::uint32_t length = 0;  // bytes of data that follow (kData only)
};

void encode_frame_header(std::uint32_t length, std::span<char, kFrameHeaderBytes> out);

// Rejects (kProtocol) any length above `max_length`, before anyone
// allocates for it.
Result<Frame> decode_frame_header(std::span<const char, kFrameHeaderBytes> in,
                                  std::uint32_t max_length = kMaxFrameBytes);

}  // namespace sfs::protocol
