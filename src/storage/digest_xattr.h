#pragma once
// Where a stored file keeps its content digest (crypto/digest.h): the
// extended attribute "user.sfs.xxh128" (32 hex digits), written on the temp file before the
// rename, so content and digest become visible together.

#include <string>

#include "base/result.h"

namespace sfs::storage {

inline constexpr char kDigestXattr[] = "user.sfs.xxh128";

// The digest recorded on `fd`, or empty when none (or not well-formed).
std::string read_digest_xattr(int fd);
// Records `hex` on `fd`. A filesystem without user xattrs is not an error:
// such files simply have no stored digest.
Result<void> write_digest_xattr(int fd, const std::string& hex);

}  // namespace sfs::storage
