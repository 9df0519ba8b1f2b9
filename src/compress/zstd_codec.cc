#include "compress/zstd_codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstdlib>

namespace sfs::compress {
namespace {

constexpr unsigned kMaxBackoff = 16;

// This thread's contexts (see the header), made on first use, freed when
// the thread ends.
struct ThreadContexts {
  ThreadContexts() = default;
  ThreadContexts(const ThreadContexts&) = delete;
  ThreadContexts& operator=(const ThreadContexts&) = delete;
  ~ThreadContexts() {
    ZSTD_freeCCtx(pack);
    ZSTD_freeDCtx(unpack);
  }
  ZSTD_CCtx* pack = nullptr;
  int pack_level = 0;
  ZSTD_DCtx* unpack = nullptr;
};

thread_local ThreadContexts contexts;

ZSTD_CCtx* packing_context(int level) {
  if (contexts.pack == nullptr) {
    contexts.pack = ZSTD_createCCtx();
    if (contexts.pack == nullptr) {
      std::abort();  // out of memory
    }
    // Sticky parameters: set once, used by every frame after.
    ZSTD_CCtx_setParameter(contexts.pack, ZSTD_c_contentSizeFlag, 1);
    ZSTD_CCtx_setParameter(contexts.pack, ZSTD_c_checksumFlag, 0);  // the XXH128 trailer covers it
    contexts.pack_level = 0;
  }
  if (contexts.pack_level != level) {
    ZSTD_CCtx_setParameter(contexts.pack, ZSTD_c_compressionLevel, level);
    contexts.pack_level = level;
  }
  return contexts.pack;
}

ZSTD_DCtx* unpacking_context() {
  if (contexts.unpack == nullptr) {
    contexts.unpack = ZSTD_createDCtx();
    if (contexts.unpack == nullptr) {
      std::abort();  // out of memory
    }
  }
  return contexts.unpack;
}

Error bad_frame(const char* why) {
  return make_error(Errc::kProtocol, std::string("bad compressed frame: ") + why);
}

}  // namespace

std::size_t Compressor::compress(const char* in, std::size_t n, char* out, std::size_t out_max) {
  if (n == 0) {
    return 0;
  }
  if (skip_ > 0) {
    --skip_;
    return 0;
  }
  // Anything bigger than this is not worth it: let zstd stop there.
  const std::size_t worth = std::min(out_max, n - n / kMinGainDivisor - 1);
  const std::size_t packed = ZSTD_compress2(packing_context(level_), out, worth, in, n);
  if (ZSTD_isError(packed) || packed == 0 || packed > worth) {
    backoff_ = std::clamp(backoff_ * 2, 1U, kMaxBackoff);
    skip_ = backoff_;
    return 0;
  }
  backoff_ = 0;
  return packed;
}

Result<std::size_t> content_size(const char* in, std::size_t n, std::size_t limit) {
  const unsigned long long size = ZSTD_getFrameContentSize(in, n);
  if (size == ZSTD_CONTENTSIZE_ERROR) {
    return bad_frame("not a zstd frame");
  }
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return bad_frame("no content size");
  }
  if (size == 0 || size > limit) {
    return bad_frame("content size out of range");
  }
  // Exactly one frame: a second one after it could inflate past the size.
  const std::size_t frame = ZSTD_findFrameCompressedSize(in, n);
  if (ZSTD_isError(frame) || frame != n) {
    return bad_frame("not exactly one complete zstd frame");
  }
  return static_cast<std::size_t>(size);
}

Result<void> decompress(const char* in, std::size_t n, char* out,
                                      std::size_t expected) {
  const std::size_t got = ZSTD_decompressDCtx(unpacking_context(), out, expected, in, n);
  if (ZSTD_isError(got)) {
    return bad_frame(ZSTD_getErrorName(got));
  }
  if (got != expected) {
    return bad_frame("content size does not match the data");
  }
  return {};
}

}  // namespace sfs::compress
