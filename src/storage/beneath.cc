#include "storage/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/errno_error.h"

namespace sfs::storage {

Result<UniqueFd> open_beneath(int dir_fd, std::string_view relative, int flags, unsigned mode,
                              std::string_view shown) {
  const std::string path(relative);
  open_how how{};
  // No O_NOFOLLOW: RESOLVE_NO_SYMLINKS already refuses a final symlink, with
  // ELOOP, whereas O_NOFOLLOW | O_DIRECTORY would report it as ENOTDIR.
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = 0;
  do {
    fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return errno_error(errno, shown.empty() ? relative : shown);
  }
  return UniqueFd(static_cast<int>(fd));
}

Error errno_error(int err, std::string_view what) {
  const std::string name(what);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return make_error(Errc::kNotFound, "no such file: " + name);
    case ELOOP:
    case EXDEV:
      return make_error(Errc::kBadPath,
                        "path refused (symlink or outside your directory): " + name);
    case EISDIR:
      return make_error(Errc::kIsDir, "is a directory: " + name);
    case ENOTEMPTY:
      return make_error(Errc::kNotEmpty, "directory not empty: " + name);
    case EEXIST:
      return make_error(Errc::kExists, "already exists: " + name);
    case ENAMETOOLONG:
      return make_error(Errc::kBadPath, "name too long: " + name);
    case ENOSPC:
    case EDQUOT:
      return make_error(Errc::kIo, "server storage is full");
    case EFBIG:
      return make_error(Errc::kTooLarge, "file too large: " + name);
    default:
      return sfs::errno_error(Errc::kIo, name, err);
  }
}

}  // namespace sfs::storage
