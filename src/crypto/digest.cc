#include "crypto/digest.h"

// The layout of XXH3_state_t, to save and restore its fields (Digest::save).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#if defined(__x86_64__) && __has_include(<xxh_x86dispatch.h>)
// Debian builds libxxhash for plain x86-64 (SSE2); the dispatch entry points
// pick AVX2 or AVX-512 at run time, about twice as fast where present. The
// header maps the XXH3 calls below onto them.
#include <xxh_x86dispatch.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

// Digest::save()'s bytes, all integers little-endian: the tag, the
// library's version and sizeof(XXH3_state_t) (a state from another build
// is refused), the fields that change as bytes are fed (the rest comes
// from a fresh reset: the default secret, its pointer, the block size),
// then the XXH3-128 of everything before it.
constexpr std::string_view kStateTag = "X3S1";
constexpr std::size_t kCheckBytes = 16;
constexpr std::size_t kFieldBytes = 4 + 4 + 4 + 4 + 8 + 8 + 8 * 8 + XXH3_INTERNALBUFFER_SIZE;
static_assert(kFieldBytes + kCheckBytes == kSavedStateBytes);

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

// Reads `bytes` little-endian bytes at `at` (checked by the caller) and moves on.
std::uint64_t get_le(std::string_view in, std::size_t& at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  }
  at += bytes;
  return value;
}

std::string check_of(std::string_view fields) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(fields.data(), fields.size()));
  return {reinterpret_cast<const char*>(canonical.digest), sizeof(canonical.digest)};
}

// The fields of a saved state, before they are trusted.
struct SavedFields {
  std::uint32_t buffered = 0;
  std::uint64_t total = 0;
  std::uint64_t stripes = 0;
  std::uint64_t acc[8] = {};
  const char* buffer = nullptr;
};

Result<SavedFields> parse_saved(std::string_view saved) {
  if (saved.size() != kSavedStateBytes || !saved.starts_with(kStateTag)) {
    return make_error(Errc::kBadRequest, "not a saved digest state");
  }
  if (check_of(saved.substr(0, kFieldBytes)) != saved.substr(kFieldBytes)) {
    return make_error(Errc::kBadRequest, "damaged digest state (check digest)");
  }
  std::size_t at = kStateTag.size();
  const std::uint64_t version = get_le(saved, at, 4);
  const std::uint64_t state_size = get_le(saved, at, 4);
  if (version != XXH_versionNumber() || version != XXH_VERSION_NUMBER ||
      state_size != sizeof(XXH3_state_t)) {
    return make_error(Errc::kBadRequest, "digest state of another xxHash build");
  }
  SavedFields out;
  out.buffered = static_cast<std::uint32_t>(get_le(saved, at, 4));
  out.total = get_le(saved, at, 8);
  out.stripes = get_le(saved, at, 8);
  for (std::uint64_t& acc : out.acc) {
    acc = get_le(saved, at, 8);
  }
  out.buffer = saved.data() + at;
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

void Digest::copy_from(const Digest& other) {
  if (this != &other) {
    XXH3_copyState(as_state(state_), as_state(other.state_));
  }
}

std::uint64_t Digest::length() const { return as_state(state_)->totalLen; }

std::string Digest::save() const {
  const XXH3_state_t& state = *as_state(state_);
  std::string out(kStateTag);
  out.reserve(kSavedStateBytes);
  put_le(out, XXH_versionNumber(), 4);
  put_le(out, sizeof(XXH3_state_t), 4);
  put_le(out, state.bufferedSize, 4);
  put_le(out, state.totalLen, 8);
  put_le(out, state.nbStripesSoFar, 8);
  for (const XXH64_hash_t acc : state.acc) {
    put_le(out, acc, 8);
  }
  out.append(reinterpret_cast<const char*>(state.buffer), sizeof(state.buffer));
  out += check_of(out);
  return out;
}

// The counters must be ones XXH3 itself could reach: the update and digest
// functions index the buffer and the secret with them unchecked.
Result<std::uint64_t> Digest::restore(std::string_view saved) {
  SFS_ASSIGN_OR_RETURN(SavedFields fields, parse_saved(saved));
  XXH3_state_t fresh;
  XXH3_128bits_reset(&fresh);
  const bool short_input = fields.total <= XXH3_INTERNALBUFFER_SIZE;
  if (fields.buffered > XXH3_INTERNALBUFFER_SIZE || fields.stripes >= fresh.nbStripesPerBlock ||
      (short_input ? fields.buffered != fields.total || fields.stripes != 0
                   : fields.buffered == 0)) {
    return make_error(Errc::kBadRequest, "digest state out of bounds");
  }
  fresh.bufferedSize = fields.buffered;
  fresh.totalLen = fields.total;
  fresh.nbStripesSoFar = static_cast<std::size_t>(fields.stripes);
  std::copy(std::begin(fields.acc), std::end(fields.acc), std::begin(fresh.acc));
  std::memcpy(fresh.buffer, fields.buffer, sizeof(fresh.buffer));
  XXH3_copyState(as_state(state_), &fresh);
  return fields.total;
}

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
