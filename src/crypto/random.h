#pragma once
// Unpredictable bytes from the kernel's CSPRNG (getrandom), for values an
// attacker must not guess: WebDAV lock tokens, and the like.
//
//   unsigned char id[16];
//   crypto::random_bytes(id, sizeof id);
//   std::string token = "urn:uuid:" + crypto::random_uuid();

#include <cstddef>
#include <string>

namespace sfs::crypto {

// Fills `data` with `length` random bytes. Never fails: getrandom blocks
// only before the pool is seeded at boot, and an error there is a broken
// system (it aborts rather than hand out a guessable value).
void random_bytes(void* data, std::size_t length);

// A random (version 4) UUID in its 8-4-4-4-12 lower-case hex form: 122
// random bits.
std::string random_uuid();

}  // namespace sfs::crypto
