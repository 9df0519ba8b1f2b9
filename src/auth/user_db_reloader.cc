#include "auth/user_db_reloader.h"

#include <sys/stat.h>

#include <cerrno>

#include "auth/auth_file.h"

namespace sfs::auth {
namespace {

std::int64_t nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

FileStamp FileStamp::of(const std::filesystem::path& file) {
  struct stat st {};
  FileStamp stamp;
  if (::stat(file.c_str(), &st) != 0) {
    stamp.error = errno;
    return stamp;
  }
  stamp.device = st.st_dev;
  stamp.inode = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = nanoseconds(st.st_mtim);
  stamp.ctime_ns = nanoseconds(st.st_ctim);
  return stamp;
}

UserDbReloader::UserDbReloader(UserDb& users, std::filesystem::path file, FileStamp loaded)
    : users_(users), file_(std::move(file)), seen_(loaded) {}

UserDbReloader::UserDbReloader(UserDb& users, std::filesystem::path file)
    : users_(users), file_(std::move(file)), seen_(FileStamp::of(file_)) {}

std::optional<Result<UserDb::Changes>> UserDbReloader::check(bool force) {
  const FileStamp before = FileStamp::of(file_);
  if (!force && before == seen_) {
    return std::nullopt;
  }
  auto file = AuthFile::load(file_);
  // A file written in place may be caught half-written; one replaced by
  // rename (sfs-admin) never is. Whatever was read while it changed is not
  // taken: the next check reads it again.
  if (FileStamp::of(file_) != before) {
    return make_error(Errc::kIo, "auth file " + file_.string() +
                                     " changed while being read; it is read again at the next "
                                     "check");
  }
  seen_ = before;
  if (!file) {
    return file.error();
  }
  return users_.reload(*file);
}

}  // namespace sfs::auth
