// Fuzzes the receiving side of a compressed data frame: whatever the payload,
// the size check before inflating holds, and inflating writes exactly the
// declared size or fails (a bomb or a lie costs at most the frame limit).

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "compress/zstd_codec.h"
#include "protocol/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* in = reinterpret_cast<const char*>(data);
  auto content = sfs::compress::content_size(in, size, sfs::protocol::kMaxFrameBytes);
  if (!content) {
    return 0;
  }
  if (*content == 0 || *content > sfs::protocol::kMaxFrameBytes) {
    std::abort();
  }
  std::vector<char> out(*content);
  (void)sfs::compress::decompress(in, size, out.data(), out.size()).ok();
  return 0;
}
