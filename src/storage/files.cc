#include "storage/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/atomic_file.h"
#include "crypto/digest.h"
#include "storage/beneath.h"
#include "storage/digest_xattr.h"
#include "storage/props_xattr.h"

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

std::string ReadFile::stored_digest() const { return read_digest_xattr(fd_.get()); }

Result<void> ReadFile::store_digest(const std::string& hex) const {
  return write_digest_xattr(fd_.get(), hex);
}

Result<std::string> ReadFile::compute_digest() const {
  crypto::Digest hash;
  auto read = [this](char* data, std::size_t max, std::uint64_t at) {
    return read_at(data, max, at);
  };
  SFS_RETURN_IF_ERROR(crypto::hash_prefix(read, size_, hash));
  return hash.hex_digest();
}

Result<void> Upload::set_digest(const std::string& hex) {
  SFS_RETURN_IF_ERROR(write_digest_xattr(file_.get(), hex));
  digest_ = hex;
  return {};
}

Upload::Upload(UniqueFd dir, UniqueFd file, std::string temp_name, std::string target_name,
               bool resumable, std::uint64_t held)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      temp_name_(std::move(temp_name)),
      target_name_(std::move(target_name)),
      resumable_(resumable),
      held_(held) {}

Upload::~Upload() { (void)keep_for_resume(); }

std::uint64_t Upload::keep_for_resume() {
  if (done_ || !dir_.valid()) {
    return 0;
  }
  struct stat st {};
  const bool stat_ok = file_.valid() && ::fstat(file_.get(), &st) == 0;
  if (!resumable_ || !stat_ok || st.st_size == 0) {
    discard();
    return 0;
  }
  done_ = true;
  file_.reset();  // unlocks it: the next upload of this name and size may take it
  return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> Upload::read_at(char* data, std::size_t length, std::uint64_t offset) const {
  while (true) {
    const ssize_t n = ::pread(file_.get(), data, length, static_cast<off_t>(offset));
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return errno_error(errno, target_name_);
    }
  }
}

Result<void> Upload::continue_at(std::uint64_t offset) {
  if (::ftruncate(file_.get(), static_cast<off_t>(offset)) != 0 ||
      ::lseek(file_.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return errno_error(errno, target_name_);
  }
  return {};
}

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

Result<Usage> Upload::commit() {
  if (done_) {
    return make_error(Errc::kInternal, "upload already finished");
  }
  // What the rename replaces, for the caller's usage count, measured after
  // the fsync, just before the rename. (Another upload may commit the same
  // name in between: the count is then off by that file until the owner of
  // the count measures the tree again.)
  Usage replaced;
  auto measure_target = [&] {
    if (struct stat old{};
        ::fstatat(dir_.get(), target_name_.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(old.st_mode)) {
      replaced = {static_cast<std::uint64_t>(old.st_size), 1};
      // Overwriting a file keeps its dead properties (as Apache's mod_dav).
      carry_props_xattr(dir_.get(), target_name_.c_str(), file_.get());
    }
  };
  auto error_of = [this](int err) { return errno_error(err, target_name_); };
  if (mtime_) {  // after the last write (a write would set it again), before the rename
    const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(*mtime_), 0}};
    if (::futimens(file_.get(), times) != 0) {
      const int err = errno;
      discard();
      return error_of(err);
    }
  }
  if (auto ok = commit_replacement_at(file_.get(), dir_.get(), temp_name_.c_str(),
                                      target_name_.c_str(), error_of, measure_target);
      !ok) {
    discard();
    return ok.error();
  }
  done_ = true;
  if (struct stat st{}; digests_ != nullptr && !digest_.empty() && ::fstat(file_.get(), &st) == 0) {
    digests_->put(st, digest_);
  }
  file_.reset();
  return replaced;
}

bool Upload::replaces_at_most(std::uint64_t bytes) const {
  struct stat st {};
  return ::fstatat(dir_.get(), target_name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
         static_cast<std::uint64_t>(st.st_size) <= bytes;
}

void Upload::discard() {
  if (done_ || !dir_.valid()) {
    return;
  }
  done_ = true;
  file_.reset();
  (void)::unlinkat(dir_.get(), temp_name_.c_str(), 0);
}

}  // namespace sfs::storage
