#pragma once
// zstd for data frames (docs/protocol.md, "Compression"): one zstd frame per
// data frame, with its content size in its header so that the receiver can
// check the size before it decompresses anything.
//
//   Compressor c;                        // once per transfer, not per frame
//   std::size_t packed = c.compress(raw, n, out, n);
//   if (packed == 0) { send raw } else { send out[0..packed) compressed }
//
//   auto size = content_size(payload, m, limit);  // checks first
//   decompress(payload, m, buffer, *size);        // then inflates
//
// The zstd contexts (their tables, ~1 MiB to pack, ~100 KiB to unpack) are
// one per thread, not one per transfer: every data frame is a zstd frame of
// its own, so a context is only scratch space while one frame is packed or
// unpacked. A transfer holds none, stalled or not, and makes none: with one
// per transfer, 100 compressed downloads to clients that stopped reading
// left ~60 MiB in malloc's arenas after they were freed.

#include <cstddef>

#include "base/result.h"

namespace sfs::compress {

// zstd level 1: on log-like text it packs about as well as 3 at twice the
// speed (measured in docs/protocol.md), and speed is what a transfer needs.
inline constexpr int kDefaultLevel = 1;

// A frame goes compressed only if that saves at least 1/kMinGainDivisor of
// it (about 3%); otherwise the raw bytes are cheaper for the receiver.
inline constexpr std::size_t kMinGainDivisor = 32;

class Compressor {
 public:
  explicit Compressor(int level = kDefaultLevel) : level_(level) {}

  // Compresses `in[0..n)` into `out` (room for `out_max` bytes) as one zstd
  // frame that records its content size, and returns the frame's size. 0
  // means "send it raw": the frame would not save enough, or it is skipped
  // because recent frames did not shrink (after one that does not, the next
  // 1, 2, 4 ... 16 frames are not even tried, so incompressible data costs
  // little CPU; one that shrinks resets that).
  std::size_t compress(const char* in, std::size_t n, char* out, std::size_t out_max);

 private:
  int level_;
  unsigned skip_ = 0;        // frames still to send raw without trying
  unsigned backoff_ = 0;     // how many to skip after the next failure
};

// The content size that the payload of a compressed data frame declares,
// after checking that it is exactly one complete zstd frame (no trailing
// bytes, no skippable frame) that states its size, and that the size is
// 1..`limit`. Reads headers only. kProtocol otherwise.
Result<std::size_t> content_size(const char* in, std::size_t n, std::size_t limit);

// Decompresses one frame into `out`, which has room for exactly
// `expected` bytes (its content_size). kProtocol unless it yields exactly
// that many: zstd never writes past `expected`, so a lying header or a
// bomb costs at most that buffer.
Result<void> decompress(const char* in, std::size_t n, char* out, std::size_t expected);

}  // namespace sfs::compress
