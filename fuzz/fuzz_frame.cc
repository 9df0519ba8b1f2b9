// Fuzzes frame headers: every 4-byte window of the input is decoded, with
// and without compression agreed, and a data frame's length must never
// exceed the limit.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using sfs::protocol::kFrameHeaderBytes;
  for (std::size_t i = 0; i + kFrameHeaderBytes <= size; ++i) {
    const std::span<const char, kFrameHeaderBytes> header(reinterpret_cast<const char*>(data) + i,
                                                          kFrameHeaderBytes);
    auto frame = sfs::protocol::decode_frame_header(header);
    if (frame && (frame->length > sfs::protocol::kMaxFrameBytes || frame->compressed)) {
      std::abort();
    }
    auto agreed = sfs::protocol::decode_frame_header(header, sfs::protocol::kMaxFrameBytes, true);
    if (agreed && agreed->length > sfs::protocol::kMaxFrameBytes) {
      std::abort();
    }
  }
  return 0;
}
