#include "base/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <string>

#include "base/errno_error.h"
#include "base/unique_fd.h"

namespace sfs {
namespace {

namespace fs = std::filesystem;

fs::path directory_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// Writes all of `content`; false with errno set when a write fails.
bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      errno = n == 0 ? EIO : errno;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The first steps of every replacement: fsync(fd), `before_rename`, then
// renameat. Returns 0, or the errno of the step that failed.
int sync_and_rename(int fd, int dir_fd, const char* temp, const char* target,
                    const std::function<void()>& before_rename) {
  if (::fsync(fd) != 0) {
    return errno;
  }
  if (before_rename) {
    before_rename();
  }
  return ::renameat(dir_fd, temp, dir_fd, target) == 0 ? 0 : errno;
}

// The last step, best effort: the rename is done and visible, so a failure
// here cannot be undone and reporting it would tell the caller the file was
// not replaced. (Some filesystems refuse to fsync a directory; they order
// it anyway.)
void sync_directory(int dir_fd) { (void)::fsync(dir_fd); }

}  // namespace

Result<void> commit_replacement(int fd, const fs::path& temp, const fs::path& target, Errc code) {
  if (const int err = sync_and_rename(fd, AT_FDCWD, temp.c_str(), target.c_str(), {}); err != 0) {
    return errno_error(code, "cannot write " + target.string(), err);
  }
  const UniqueFd dir(::open(directory_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) {
    sync_directory(dir.get());
  }
  return {};
}

Result<void> commit_replacement_at(int fd, int dir_fd, const char* temp, const char* target,
                                   const std::function<Error(int err)>& error_of,
                                   const std::function<void()>& before_rename) {
  if (const int err = sync_and_rename(fd, dir_fd, temp, target, before_rename); err != 0) {
    return error_of(err);
  }
  sync_directory(dir_fd);
  return {};
}

Result<void> replace_file(const fs::path& target, std::string_view content, mode_t mode, Errc code,
                          Durability durability) {
  const unsigned int nonce = std::random_device{}();
  const fs::path temp =
      target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(nonce);
  const UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) {
    return errno_error(code, "cannot create " + temp.string(), errno);
  }
  const bool written = write_all(fd.get(), content);
  Result<void> done;
  if (written && durability == Durability::kDurable) {
    done = commit_replacement(fd.get(), temp, target, code);
  } else if (!written || ::rename(temp.c_str(), target.c_str()) != 0) {
    done = errno_error(code, "cannot write " + target.string(), errno);
  }
  if (!done) {
    ::unlink(temp.c_str());
  }
  return done;
}

}  // namespace sfs
