#pragma once
// Streaming SHA-256: feed the data as it passes, read the digest at the end.
//
//   Sha256 h;
//   h.update(chunk.data(), chunk.size());   // as often as needed
//   std::string hex = h.hex_digest();       // 64 lower-case hex digits

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::crypto {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;

  void update(const void* data, std::size_t length);
  // Finishes the hash; the object starts over afterwards.
  Digest digest();
  std::string hex_digest();
  // The digest of what was fed so far; hashing can go on afterwards.
  std::string hex_digest_so_far() const;
  // Forgets everything fed so far.
  void reset();

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of this header
};

std::string to_hex(const Sha256::Digest& digest);

// Feeds the first `length` bytes that `read(data, max, offset)` yields into
// `hash`, in 1 MiB pieces. Fails with the reader's error, or with kIo when
// the data ends before `length` bytes.
using ReadAt =
    std::function<Result<std::size_t>(char* data, std::size_t max, std::uint64_t offset)>;
Result<void> hash_prefix(const ReadAt& read, std::uint64_t length, Sha256& hash);

// True for exactly 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace sfs::crypto
