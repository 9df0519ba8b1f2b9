#include "storage/digest_xattr.h"

#include <sys/xattr.h>

#include <cerrno>

#include "crypto/sha256.h"
#include "storage/beneath.h"

namespace sfs::storage {

std::string read_digest_xattr(int fd) {
  char value[65] = {};
  const ssize_t n = ::fgetxattr(fd, kDigestXattr, value, sizeof(value));
  if (n != 64) {
    return {};
  }
  std::string hex(value, 64);
  return crypto::is_sha256_hex(hex) ? hex : std::string();
}

Result<void> write_digest_xattr(int fd, const std::string& hex) {
  if (::fsetxattr(fd, kDigestXattr, hex.data(), hex.size(), 0) != 0 && errno != ENOTSUP) {
    return errno_error(errno, "digest");
  }
  return {};
}

}  // namespace sfs::storage
