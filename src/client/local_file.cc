#include "client/local_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sfs::client {
namespace {

Error local_error(const std::filesystem::path& path, int err) {
  if (err == ENOENT) {
    return make_error(Errc::kNotFound, "no such local file or directory: " + path.string());
  }
  return make_error(Errc::kLocal, path.string() + ": " + std::strerror(err));
}

}  // namespace

Result<LocalSource> LocalSource::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  return LocalSource(std::move(owned), static_cast<std::uint64_t>(st.st_size));
}

Result<std::size_t> LocalSource::read(char* data, std::size_t max) {
  while (true) {
    const ssize_t n = ::read(fd_.get(), data, max);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return make_error(Errc::kLocal, std::string("read error: ") + std::strerror(errno));
    }
  }
}

Result<LocalDownload> LocalDownload::create(const std::filesystem::path& target) {
  unsigned int nonce = 0;
  (void)::getrandom(&nonce, sizeof(nonce), 0);
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%08x", nonce);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  const std::filesystem::path temp =
      dir / ("." + target.filename().string() + ".sfs-part-" + suffix);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return local_error(target, errno);
  }
  return LocalDownload(UniqueFd(fd), temp, target);
}

LocalDownload::~LocalDownload() {
  if (!done_ && fd_.valid()) {
    fd_.reset();
    ::unlink(temp_.c_str());
  }
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

Result<void> LocalDownload::commit() {
  if (::fsync(fd_.get()) != 0 || ::rename(temp_.c_str(), target_.c_str()) != 0) {
    return local_error(target_, errno);
  }
  done_ = true;
  fd_.reset();
  return {};
}

}  // namespace sfs::client
