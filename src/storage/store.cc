#include "storage/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/beneath.h"

namespace sfs::storage {
namespace {

Error root_error(const std::filesystem::path& root, const char* what, int err) {
  return make_error(Errc::kIo,
                    "storage directory " + root.string() + " " + what + ": " + std::strerror(err));
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

// Uploads hold their file locked. An unlocked temp file is debris of a
// killed server; an unlocked partial upload is kept for `ttl` after its last
// write, so the upload can resume. The file is removed while this holds the
// lock, so an upload cannot take it over in between (an upload that opened
// it meanwhile sees it unlinked once it gets the lock, and starts afresh).
bool remove_if_stale(int dir_fd, const char* name, std::chrono::seconds ttl) {
  const bool temp = std::strncmp(name, ".sfs-tmp-", 9) == 0;
  const bool partial = std::strncmp(name, ".sfs-part-", 10) == 0;
  if (!temp && !partial) {
    return false;
  }
  const UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 || ::fstat(fd.get(), &st) != 0) {
    return false;  // in use by an upload right now
  }
  const auto age =
      std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime);
  return (temp || age >= ttl) && ::unlinkat(dir_fd, name, 0) == 0;
}

bool is_single_component(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<Store> Store::open(const std::filesystem::path& root) {
  auto root_fd = make_dir_at(AT_FDCWD, root.c_str(), root);
  if (!root_fd) {
    return root_fd.error();
  }
  auto users = make_dir_at(root_fd->get(), "u", root / "u");
  if (!users) {
    return users.error();
  }
  if (auto ok = probe_writable(users->get(), root / "u"); !ok) {
    return ok.error();
  }
  return Store(std::move(*users));
}

Result<UserTree> Store::user(std::string_view name) const {
  if (!is_single_component(name)) {
    return make_error(Errc::kBadPath, "invalid user name");
  }
  const std::string dir(name);
  if (::mkdirat(users_.get(), dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_error(errno, "user directory");
  }
  auto fd = open_beneath(users_.get(), dir, O_RDONLY | O_DIRECTORY);
  if (!fd) {
    return fd.error();
  }
  return UserTree(std::move(*fd));
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
    if (!tree) {
      continue;
    }
    DIR* files = ::fdopendir(tree->release());
    if (files == nullptr) {
      continue;
    }
    while (const dirent* f = ::readdir(files)) {
      if (remove_if_stale(::dirfd(files), f->d_name, partial_ttl)) {
        ++removed;
      }
    }
    ::closedir(files);
  }
  ::closedir(top);
  return removed;
}

}  // namespace sfs::storage
