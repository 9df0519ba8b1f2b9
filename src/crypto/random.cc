#include "crypto/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>

#include "base/check.h"

namespace sfs::crypto {

void random_bytes(void* data, std::size_t length) {
  auto* out = static_cast<unsigned char*>(data);
  while (length > 0) {
    const ssize_t got = ::getrandom(out, length, 0);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    SFS_CHECK(got > 0);
    out += got;
    length -= static_cast<std::size_t>(got);
  }
}

std::string random_uuid() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return std::string(out, 36);
}

}  // namespace sfs::crypto
