#include "storage/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>

#include "base/errno_error.h"
#include "storage/beneath.h"
#include "storage/temps.h"

namespace sfs::storage {
namespace {

Error root_error(const std::filesystem::path& root, const char* what, int err) {
  return sfs::errno_error(Errc::kIo, "storage directory " + root.string() + " " + what, err);
}

Result<UniqueFd> make_dir_at(int parent, const char* name, const std::filesystem::path& shown) {
  if (::mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
    return root_error(shown, "cannot be created", errno);
  }
  const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return root_error(shown, "cannot be opened", errno);
  }
  return UniqueFd(fd);
}

// Proves the directory is writable by creating and removing a file there.
Result<void> probe_writable(int dir_fd, const std::filesystem::path& shown) {
  constexpr char kProbe[] = ".sfs-probe";
  const int fd = ::openat(dir_fd, kProbe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return root_error(shown, "is not writable", errno);
  }
  ::close(fd);
  ::unlinkat(dir_fd, kProbe, 0);
  return {};
}

bool is_single_component(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// Cleans one directory of a user's tree and, depth-first, the directories
// below it (uploads go to nested directories too). Takes ownership of
// `dir_fd`. Symlinks are never followed.
std::size_t remove_stale_in(int dir_fd, int depth, std::chrono::seconds ttl) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return 0;
  }
  std::size_t removed = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    if (remove_if_stale(::dirfd(dir), d->d_name, ttl)) {
      ++removed;
      continue;
    }
    if (depth < kMaxDirDepth && !is_upload_debris_name(name)) {
      const int sub =
          ::openat(::dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        removed += remove_stale_in(sub, depth + 1, ttl);
      }
    }
  }
  ::closedir(dir);
  return removed;
}

}  // namespace

Result<Store> Store::open(const std::filesystem::path& root) {
  SFS_ASSIGN_OR_RETURN(auto root_fd, make_dir_at(AT_FDCWD, root.c_str(), root));
  SFS_ASSIGN_OR_RETURN(auto users, make_dir_at(root_fd.get(), "u", root / "u"));
  SFS_RETURN_IF_ERROR(probe_writable(users.get(), root / "u"));
  return Store(std::move(users));
}

namespace {

// True when `name` in `parent` is still the directory `fd` has open: not
// when it was removed (sfs-admin user del --purge) and perhaps made again.
bool still_named(int parent, const std::string& name, int fd) {
  struct stat named {};
  struct stat held {};
  return ::fstatat(parent, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
         ::fstat(fd, &held) == 0 && named.st_dev == held.st_dev && named.st_ino == held.st_ino;
}

}  // namespace

Result<UserTree> Store::user(std::string_view name) const {
  if (!is_single_component(name)) {
    return make_error(Errc::kBadPath, "invalid user name");
  }
  const std::string dir(name);
  const std::lock_guard lock(open_->mutex);
  std::weak_ptr<const UniqueFd>& cached = open_->handles[dir];
  if (auto shared = cached.lock(); shared && still_named(users_.get(), dir, shared->get())) {
    return UserTree(std::move(shared), digests_.get());
  }
  if (::mkdirat(users_.get(), dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_error(errno, "user directory");
  }
  SFS_ASSIGN_OR_RETURN(auto fd, open_beneath(users_.get(), dir, O_RDONLY | O_DIRECTORY));
  auto shared = std::make_shared<const UniqueFd>(std::move(fd));
  cached = shared;
  return UserTree(std::move(shared), digests_.get());
}

bool Store::in_memory() const {
  struct statfs fs {};
  if (::fstatfs(users_.get(), &fs) != 0) {
    return false;
  }
  return fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC;
}

std::size_t Store::remove_stale_temps(std::chrono::seconds partial_ttl) const {
  std::size_t removed = 0;
  auto users = open_beneath(users_.get(), ".", O_RDONLY | O_DIRECTORY);
  if (!users) {
    return 0;
  }
  DIR* top = ::fdopendir(users->release());
  if (top == nullptr) {
    return 0;
  }
  while (const dirent* u = ::readdir(top)) {
    if (!is_single_component(u->d_name) || u->d_name[0] == '.') {
      continue;
    }
    auto tree = open_beneath(::dirfd(top), u->d_name, O_RDONLY | O_DIRECTORY);
    if (tree) {
      removed += remove_stale_in(tree->release(), 0, partial_ttl);
    }
  }
  ::closedir(top);
  return removed;
}

}  // namespace sfs::storage
