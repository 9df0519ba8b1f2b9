#include "client/local_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "base/atomic_file.h"
#include "base/errno_error.h"
#include "client/part_cleanup.h"
#include "crypto/digest.h"

namespace sfs::client {
namespace {

constexpr char kDigestXattr[] = "user.sfs.xxh128";

// The process's umask (reading it means setting it: it is put back at once).
// Read once: the client never changes it, and a run of small downloads
// would read it, two system calls, per file.
mode_t current_umask() {
  static const mode_t mask = [] {
    const mode_t read = ::umask(0);
    ::umask(read);
    return read;
  }();
  return mask;
}

Error local_error(const std::filesystem::path& path, int err) {
  if (err == ENOENT) {
    return make_error(Errc::kNotFound, "no such local file or directory: " + path.string());
  }
  return errno_error(Errc::kLocal, path.string(), err);
}

// Creating the part file next to `target` failed: a missing directory is
// a local problem (exit 8), not a missing remote file.
Error download_error(const std::filesystem::path& dir, const std::filesystem::path& target,
                     int err) {
  if (err == ENOENT) {
    return make_error(Errc::kLocal, "no such local directory: " + dir.string());
  }
  return local_error(target, err);
}

}  // namespace

Result<LocalSource> LocalSource::open(const std::filesystem::path& path, bool follow_links) {
  struct timespec opened_at {};
  ::clock_gettime(CLOCK_REALTIME, &opened_at);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    return local_error(path, errno);
  }
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return local_error(path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::kLocal, path.string() + ": not a regular file");
  }
  return LocalSource(std::move(owned), st, opened_at);
}

Result<std::size_t> LocalSource::read(char* data, std::size_t max) {
  while (true) {
    const ssize_t n = ::read(fd_.get(), data, max);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return errno_error(Errc::kLocal, "read error", errno);
    }
  }
}

Result<void> LocalSource::seek(std::uint64_t offset) {
  if (::lseek(fd_.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return errno_error(Errc::kLocal, "seek error", errno);
  }
  return {};
}

Result<LocalDownload> LocalDownload::open(const std::filesystem::path& target, bool resume) {
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  const std::filesystem::path partial = dir / ("." + target.filename().string() + ".sfs-part");
  clean_stale_parts_once(dir, partial);  // what abandoned downloads left here
  const int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return download_error(dir, target, errno);
  }
  LocalDownload download(UniqueFd(fd), partial, target);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    download.done_ = true;  // not ours to remove
    return make_error(Errc::kLocal, "another download to " + target.string() + " is running");
  }
  if (!resume) {  // start empty, and forget what the old bytes were part of
    (void)::fremovexattr(fd, kDigestXattr);
    if (::ftruncate(fd, 0) != 0) {
      return local_error(partial, errno);
    }
    return download;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    download.held_ = static_cast<std::uint64_t>(st.st_size);
  }
  char value[crypto::kDigestHexLength] = {};
  if (::fgetxattr(fd, kDigestXattr, value, sizeof value) == sizeof value &&
      crypto::is_digest_hex(std::string_view(value, sizeof value))) {
    download.digest_.assign(value, sizeof value);
  }
  return download;
}

LocalDownload::~LocalDownload() {
  if (!done_ && !keep_ && fd_.valid()) {
    fd_.reset();
    ::unlink(partial_.c_str());
  }
}

Result<std::size_t> LocalDownload::read_at(char* data, std::size_t length,
                                           std::uint64_t offset) const {
  const ssize_t n = ::pread(fd_.get(), data, length, static_cast<off_t>(offset));
  if (n < 0) {
    return local_error(partial_, errno);
  }
  return static_cast<std::size_t>(n);
}

Result<void> LocalDownload::continue_at(std::uint64_t offset) {
  if (::ftruncate(fd_.get(), static_cast<off_t>(offset)) != 0 ||
      ::lseek(fd_.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return local_error(partial_, errno);
  }
  return {};
}

void LocalDownload::record_digest(const std::string& hex) {
  // Without user xattrs (some filesystems) the download still works; it just
  // cannot resume.
  (void)::fsetxattr(fd_.get(), kDigestXattr, hex.data(), hex.size(), 0);
}

Result<void> LocalDownload::write(const char* data, std::size_t length) {
  while (length > 0) {
    const ssize_t n = ::write(fd_.get(), data, length);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return local_error(target_, errno);
    }
    data += n;
    length -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> LocalDownload::commit(std::optional<std::int64_t> mtime) {
  // The partial file was made 0600 so that nobody reads a download before
  // it is verified; the finished file gets the mode any new file gets.
  if (::fchmod(fd_.get(), 0666 & ~current_umask()) != 0) {
    return local_error(partial_, errno);
  }
  if (mtime) {
    const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(*mtime), 0}};
    if (::futimens(fd_.get(), times) != 0) {
      return local_error(partial_, errno);
    }
  }
  // The directory is fsync-ed too, so that a crash cannot lose a download
  // the client already reported done.
  SFS_RETURN_IF_ERROR(commit_replacement(fd_.get(), partial_, target_, Errc::kLocal));
  done_ = true;
  fd_.reset();
  return {};
}

}  // namespace sfs::client
