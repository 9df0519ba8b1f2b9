#pragma once
// Argon2id password hashes (libsodium's crypto_pwhash_str), at libsodium's
// INTERACTIVE cost (64 MiB, 2 passes): above OWASP's minimum for Argon2id.
//
//   auto hash = hash_password("correct horse");   // "$argon2id$v=19$m=65536,t=2,p=1$..."
//   verify_password(*hash, "correct horse") == true

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::auth {

// The longest password (and legacy plaintext secret) accepted anywhere.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Initialises libsodium once; aborts when it has no usable randomness.
void init_sodium();

// kInternal when the memory for hashing cannot be had; kBadRequest for a
// password longer than 1024 bytes.
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);
// True when `hash` was made with other cost settings than hash_password's.
bool needs_rehash(const std::string& hash);

}  // namespace sfs::auth
