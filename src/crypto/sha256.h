#pragma once
// Streaming SHA-256: feed the data as it passes, read the digest at the end.
//
//   Sha256 h;
//   h.update(chunk.data(), chunk.size());   // as often as needed
//   std::string hex = h.hex_digest();       // 64 lower-case hex digits

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

// True for exactly 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace sfs::crypto
