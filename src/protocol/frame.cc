#include "protocol/frame.h"

namespace sfs::protocol {

void encode_frame_header(std::uint32_t length, std::span<char, kFrameHeaderBytes> out,
                         bool compressed) {
  if (compressed) {
    length |= kCompressedFlag;
  }
  out[0] = static_cast<char>((length >> 24) & 0xFF);
  out[1] = static_cast<char>((length >> 16) & 0xFF);
  out[2] = static_cast<char>((length >> 8) & 0xFF);
  out[3] = static_cast<char>(length & 0xFF);
}

Result<Frame> decode_frame_header(std::span<const char, kFrameHeaderBytes> in,
                                  std::uint32_t max_length, bool compressed_allowed) {
  std::uint32_t length = 0;
  for (const char c : in) {
    length = (length << 8) | static_cast<unsigned char>(c);
  }
  if (length == kEndFrame) {
    return Frame{Frame::Kind::kEnd, 0, false};
  }
  if (length == kAbortFrame) {
    return Frame{Frame::Kind::kAbort, 0, false};
  }
  const bool compressed = (length & kCompressedFlag) != 0;
  length &= ~kCompressedFlag;
  if (compressed && !compressed_allowed) {
    // Without COMPRESS this is a length above any limit, as it always was;
    // a well-formed compressed header gets the more useful reason.
    const bool plausible = length >= 1 && length <= max_length;
    return make_error(Errc::kProtocol,
                      plausible ? "compressed frame without COMPRESS" : "frame too large");
  }
  if (compressed && length == 0) {
    return make_error(Errc::kProtocol, "empty compressed frame");
  }
  if (length > max_length) {
    return make_error(Errc::kProtocol, "frame too large");
  }
  return Frame{Frame::Kind::kData, length, compressed};
}

}  // namespace sfs::protocol
