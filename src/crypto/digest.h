#pragma once
// The content digest sfs keeps end to end: XXH3-128, streaming.
//
// Why XXH3-128 and not SHA-256: it guards against accidental damage (disk,
// memory, bugs) between the sender's file and the receiver's, which is what
// an end-to-end check is for; authenticity and integrity against attackers
// on the wire come from TLS's AEAD. SHA-256 ran at ~2 GB/s here and took
// 35-41% of each side's CPU in a transfer; XXH3 runs at memory speed. rsync
// (3.2+) made the same choice for its transfer checksums.
//
//   Digest d;
//   d.update(chunk.data(), chunk.size());   // as often as needed
//   std::string hex = d.hex_digest();       // 32 lower-case hex digits

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::crypto {

// The digest's name on the wire ("XXH128 <hex>") and in `sfs hash` output.
inline constexpr char kDigestName[] = "XXH128";
inline constexpr std::size_t kDigestHexLength = 32;
// The size of Digest::save()'s bytes.
inline constexpr std::size_t kSavedStateBytes = 368;

class Digest {
 public:
  Digest();
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  Digest(Digest&& other) noexcept;
  Digest& operator=(Digest&& other) noexcept;

  void update(const void* data, std::size_t length);
  // The digest of what was fed so far, as 32 lower-case hex digits (the
  // canonical big-endian form that `xxh128sum` prints). Hashing can go on.
  std::string hex_digest() const;
  // Forgets everything fed so far.
  void reset();
  // Takes the state of `other` (what it was fed), which stays as it is.
  void copy_from(const Digest& other);
  // How many bytes were fed so far.
  std::uint64_t length() const;

  // The hashing state as bytes (kSavedStateBytes of them), to continue
  // later, in another process, with restore(): what a resumable upload
  // keeps of bytes it cannot read back. Tagged with the format, the xxHash
  // version and the size of its state, and checked by a digest of its own.
  std::string save() const;
  // Continues from a state save() made. Returns the bytes it covers. Fails
  // (kBadRequest, the digest unchanged) for anything else: another format,
  // another xxHash version or state size (a save from another build), a
  // damaged or forged state (check digest, counters out of their bounds).
  // Accepted bytes are safe to continue from; whether they are the state
  // of the right data only a comparison of the final digest can tell.
  Result<std::uint64_t> restore(std::string_view saved);

 private:
  void* state_;  // XXH3_state_t, kept out of this header
};

// The digest of one buffer.
std::string digest_of(std::string_view data);

// Feeds the first `length` bytes that `read(data, max, offset)` yields into
// `digest`, in 1 MiB pieces. Fails with the reader's error, or with kIo
// when the data ends before `length` bytes.
using ReadAt =
    std::function<Result<std::size_t>(char* data, std::size_t max, std::uint64_t offset)>;
Result<void> hash_prefix(const ReadAt& read, std::uint64_t length, Digest& digest);

// True for exactly 32 lower-case hex digits.
bool is_digest_hex(std::string_view text);

}  // namespace sfs::crypto
