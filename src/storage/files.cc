#include "storage/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "storage/beneath.h"

namespace sfs::storage {

Result<std::size_t> ReadFile::read_at(char* data, std::size_t length, std::uint64_t offset) const {
  while (true) {
    const ssize_t n = ::pread(fd_.get(), data, length, static_cast<off_t>(offset));
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return errno_error(errno, "read");
    }
  }
}

Upload::Upload(UniqueFd dir, UniqueFd file, std::string temp_name, std::string target_name)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      temp_name_(std::move(temp_name)),
      target_name_(std::move(target_name)) {}

Upload::~Upload() { abort(); }

Result<void> Upload::write(const char* data, std::size_t length) {
  while (length > 0) {
    const ssize_t n = ::write(file_.get(), data, length);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno_error(errno, target_name_);
    }
    data += n;
    length -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> Upload::commit() {
  if (done_) {
    return make_error(Errc::kInternal, "upload already finished");
  }
  if (::fsync(file_.get()) != 0) {
    const int err = errno;
    abort();
    return errno_error(err, target_name_);
  }
  if (::renameat(dir_.get(), temp_name_.c_str(), dir_.get(), target_name_.c_str()) != 0) {
    const int err = errno;
    abort();
    return errno_error(err, target_name_);
  }
  done_ = true;
  file_.reset();
  // Make the rename itself durable. A failure here cannot be undone any
  // more; the new content is already visible.
  (void)::fsync(dir_.get());
  return {};
}

void Upload::abort() {
  if (done_ || !dir_.valid()) {
    return;
  }
  done_ = true;
  file_.reset();
  (void)::unlinkat(dir_.get(), temp_name_.c_str(), 0);
}

}  // namespace sfs::storage
