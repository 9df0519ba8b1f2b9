#include "storage/digest_xattr.h"

#include <sys/xattr.h>

#include <cerrno>

#include "crypto/digest.h"
#include "storage/beneath.h"

namespace sfs::storage {

std::string read_digest_xattr(int fd) {
  char value[crypto::kDigestHexLength + 1] = {};  // one more: a longer value is refused
  const ssize_t n = ::fgetxattr(fd, kDigestXattr, value, sizeof(value));
  if (n != static_cast<ssize_t>(crypto::kDigestHexLength)) {
    return {};
  }
  std::string hex(value, crypto::kDigestHexLength);
  return crypto::is_digest_hex(hex) ? hex : std::string();
}

Result<void> write_digest_xattr(int fd, const std::string& hex) {
  if (::fsetxattr(fd, kDigestXattr, hex.data(), hex.size(), 0) != 0 && errno != ENOTSUP) {
    return errno_error(errno, "digest");
  }
  return {};
}

}  // namespace sfs::storage
