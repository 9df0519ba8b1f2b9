#include "client/part_cleanup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <system_error>

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

bool is_part_name(const std::string& name) {
  constexpr std::string_view kSuffix = ".sfs-part";
  return name.size() > kSuffix.size() + 1 && name.starts_with('.') && name.ends_with(kSuffix);
}

// Unlinks `file` unless a running download holds its lock.
bool remove_unless_locked(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    return false;
  }
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  const bool removed = free && ::unlink(file.c_str()) == 0;
  ::close(fd);
  return removed;
}

}  // namespace

std::size_t remove_stale_parts(const fs::path& dir, const fs::path& keep,
                               std::chrono::seconds age) {
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec);
  if (ec) {
    return 0;
  }
  const auto cutoff = fs::file_time_type::clock::now() - age;
  std::size_t removed = 0;
  for (const fs::directory_entry& entry : it) {
    const fs::path& file = entry.path();
    if (!is_part_name(file.filename().string()) || file.filename() == keep.filename() ||
        !entry.is_regular_file(ec) || entry.last_write_time(ec) > cutoff || ec) {
      continue;
    }
    removed += remove_unless_locked(file) ? 1 : 0;
  }
  return removed;
}

void clean_stale_parts_once(const fs::path& dir, const fs::path& keep) {
  static std::mutex mutex;
  static std::set<fs::path> done;
  // Absolute folders as given, so that a run of downloads into one is not
  // resolved again per file (a relative one is: the shell's lcd moves it).
  static std::set<fs::path> asked;
  std::error_code ec;
  if (dir.is_absolute()) {
    const std::lock_guard lock(mutex);
    if (!asked.insert(dir).second) {
      return;
    }
  }
  const fs::path key = fs::weakly_canonical(dir.empty() ? fs::path(".") : dir, ec);
  {
    const std::lock_guard lock(mutex);
    if (!done.insert(key).second) {
      return;
    }
  }
  if (const std::size_t removed = remove_stale_parts(dir, keep, kStalePartAge); removed > 0) {
    std::fprintf(stderr, "sfs: removed %zu abandoned partial download(s) older than a day in %s\n",
                 removed, key.string().c_str());
  }
}

}  // namespace sfs::client
