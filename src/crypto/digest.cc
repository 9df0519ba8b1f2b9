#include "crypto/digest.h"

#include <xxhash.h>
#if defined(__x86_64__) && __has_include(<xxh_x86dispatch.h>)
// Debian builds libxxhash for plain x86-64 (SSE2); the dispatch entry points
// pick AVX2 or AVX-512 at run time, about twice as fast where present. The
// header maps the XXH3 calls below onto them.
#include <xxh_x86dispatch.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "crypto/prefix_hash.h"

namespace sfs::crypto {
namespace {

XXH3_state_t* as_state(void* p) { return static_cast<XXH3_state_t*>(p); }

std::string to_hex(const XXH128_hash_t& hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(kDigestHexLength);
  for (const unsigned char b : canonical.digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  return out;
}

}  // namespace

Digest::Digest() : state_(XXH3_createState()) {
  if (state_ == nullptr) {
    std::abort();  // out of memory
  }
  reset();
}

Digest::~Digest() { XXH3_freeState(as_state(state_)); }

Digest::Digest(Digest&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}

Digest& Digest::operator=(Digest&& other) noexcept {
  if (this != &other) {
    XXH3_freeState(as_state(state_));
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

void Digest::update(const void* data, std::size_t length) {
  XXH3_128bits_update(as_state(state_), data, length);
}

std::string Digest::hex_digest() const { return to_hex(XXH3_128bits_digest(as_state(state_))); }

void Digest::reset() { XXH3_128bits_reset(as_state(state_)); }

std::string digest_of(std::string_view data) {
  return to_hex(XXH3_128bits(data.data(), data.size()));
}

Result<void> hash_prefix(const ReadAt& read, std::uint64_t length, Digest& digest) {
  PrefixHasher hasher(length, digest);
  while (!hasher.done()) {
    SFS_ASSIGN_OR_RETURN(auto n, read(hasher.piece(), hasher.want(), hasher.offset()));
    SFS_RETURN_IF_ERROR(hasher.feed(n));
  }
  return {};
}

bool is_digest_hex(std::string_view text) {
  return text.size() == kDigestHexLength && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace sfs::crypto
