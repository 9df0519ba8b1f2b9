#include "compress/zstd_codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstdlib>

namespace sfs::compress {
namespace {

constexpr unsigned kMaxBackoff = 16;

ZSTD_CCtx* cctx(void* p) { return static_cast<ZSTD_CCtx*>(p); }
ZSTD_DCtx* dctx(void* p) { return static_cast<ZSTD_DCtx*>(p); }

Error bad_frame(const char* why) {
  return make_error(Errc::kProtocol, std::string("bad compressed frame: ") + why);
}

}  // namespace

Compressor::Compressor(int level) : level_(level) {}

Compressor::~Compressor() { release(); }

void Compressor::release() {
  ZSTD_freeCCtx(cctx(context_));
  context_ = nullptr;
}

std::size_t Compressor::compress(const char* in, std::size_t n, char* out, std::size_t out_max) {
  if (n == 0) {
    return 0;
  }
  if (skip_ > 0) {
    --skip_;
    return 0;
  }
  if (context_ == nullptr) {
    context_ = ZSTD_createCCtx();
    if (context_ == nullptr) {
      std::abort();  // out of memory
    }
    // Sticky parameters: set once, used by every frame until release().
    ZSTD_CCtx_setParameter(cctx(context_), ZSTD_c_compressionLevel, level_);
    ZSTD_CCtx_setParameter(cctx(context_), ZSTD_c_contentSizeFlag, 1);
    ZSTD_CCtx_setParameter(cctx(context_), ZSTD_c_checksumFlag, 0);  // the XXH128 trailer covers it
  }
  // Anything bigger than this is not worth it: let zstd stop there.
  const std::size_t worth = std::min(out_max, n - n / kMinGainDivisor - 1);
  const std::size_t packed = ZSTD_compress2(cctx(context_), out, worth, in, n);
  if (ZSTD_isError(packed) || packed == 0 || packed > worth) {
    backoff_ = std::clamp(backoff_ * 2, 1U, kMaxBackoff);
    skip_ = backoff_;
    return 0;
  }
  backoff_ = 0;
  return packed;
}

Decompressor::Decompressor() = default;

Decompressor::~Decompressor() { ZSTD_freeDCtx(dctx(context_)); }

Result<std::size_t> Decompressor::content_size(const char* in, std::size_t n, std::size_t limit) {
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

Result<void> Decompressor::decompress(const char* in, std::size_t n, char* out,
                                      std::size_t expected) {
  if (context_ == nullptr) {
    context_ = ZSTD_createDCtx();
    if (context_ == nullptr) {
      std::abort();  // out of memory
    }
  }
  const std::size_t got = ZSTD_decompressDCtx(dctx(context_), out, expected, in, n);
  if (ZSTD_isError(got)) {
    return bad_frame(ZSTD_getErrorName(got));
  }
  if (got != expected) {
    return bad_frame("content size does not match the data");
  }
  return {};
}

void Decompressor::release() {
  ZSTD_freeDCtx(dctx(context_));
  context_ = nullptr;
}

}  // namespace sfs::compress
