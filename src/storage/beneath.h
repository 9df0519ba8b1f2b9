#pragma once
// The one place that resolves a relative path under a directory handle.
// openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS:
// the kernel refuses "..", absolute paths and every symlink, including one
// swapped in while we resolve.

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/paths.h"

namespace sfs::storage {

// Opens `relative` beneath `dir_fd`. `flags` are open(2) flags; O_CLOEXEC is
// always added. A symlink anywhere in the path, the last component
// included, fails with kBadPath. Error messages name `shown` (default:
// `relative`).
Result<UniqueFd> open_beneath(int dir_fd, std::string_view relative, int flags, unsigned mode = 0,
                              std::string_view shown = {});

// Translates an errno into an Error, naming `what` in the message.
Error errno_error(int err, std::string_view what);

}  // namespace sfs::storage
