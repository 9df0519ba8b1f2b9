#include "auth/user_db_reloader.h"

#include <sys/stat.h>

#include <cerrno>

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

UserDbReloader::UserDbReloader(UserDb& users, UserStore& store, std::string loaded)
    : users_(users), store_(store), seen_(std::move(loaded)) {}

std::optional<Result<UserDb::Changes>> UserDbReloader::check(bool force) {
  auto before = store_.change_token();
  if (!before) {
    const bool first = !token_failing_;
    token_failing_ = true;
    if (first || force) {
      return before.error();
    }
    return std::nullopt;
  }
  token_failing_ = false;
  if (!force && *before == seen_) {
    return std::nullopt;
  }
  auto snapshot = store_.load();
  if (!snapshot) {
    // Not read again until it changes, unless it changed meanwhile.
    if (auto after = store_.change_token(); after && *after == *before) {
      seen_ = *before;
    }
    return snapshot.error();
  }
  seen_ = snapshot->token;
  return users_.reload(snapshot->entries);
}

}  // namespace sfs::auth
