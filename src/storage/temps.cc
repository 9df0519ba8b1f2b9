#include "storage/temps.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace sfs::storage {

bool is_upload_debris_name(std::string_view name) {
  return name.starts_with(kTempPrefix) || name.starts_with(kPartialPrefix);
}

// Uploads hold their file locked. An unlocked temp file is debris of a
// killed server; an unlocked partial upload is kept for `ttl` after its last
// write, so the upload can resume. The file is removed while this holds the
// lock, so an upload cannot take it over in between (an upload that opened
// it meanwhile sees it unlinked once it gets the lock, and starts afresh).
std::optional<std::uint64_t> remove_if_stale(int dir_fd, const char* name,
                                             std::chrono::seconds ttl) {
  const std::string_view view = name;
  const bool temp = view.starts_with(kTempPrefix);
  if (!is_upload_debris_name(view)) {
    return std::nullopt;
  }
  const UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 || ::fstat(fd.get(), &st) != 0 ||
      !S_ISREG(st.st_mode)) {
    return std::nullopt;  // in use by an upload right now (or not a file of ours)
  }
  const auto age =
      std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime);
  if ((temp || age >= ttl) && ::unlinkat(dir_fd, name, 0) == 0) {
    return static_cast<std::uint64_t>(st.st_size);
  }
  return std::nullopt;
}

// A shared lock is refused while an upload holds its exclusive one. (An
// upload that tries to take the file during this instant finds it busy and
// starts afresh in a temp file instead of resuming: rare, and harmless.)
std::optional<std::uint64_t> idle_upload_file_size(int dir_fd, const char* name) {
  if (!is_upload_debris_name(name)) {
    return std::nullopt;
  }
  const UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::flock(fd.get(), LOCK_SH | LOCK_NB) != 0 || ::fstat(fd.get(), &st) != 0 ||
      !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace sfs::storage
