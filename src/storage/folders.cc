// UserTree's directory operations: make_dir, remove_dir, move. Every handle
// is opened beneath the user's root (storage/beneath.h); no path is ever
// resolved from the server's working directory.

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "storage/beneath.h"
#include "storage/links.h"
#include "storage/temps.h"
#include "storage/user_tree.h"

namespace sfs::storage {
namespace {

int component_count(std::string_view path) {
  return static_cast<int>(std::count(path.begin(), path.end(), '/')) + 1;
}

Error too_deep(std::string_view path) {
  return make_error(Errc::kTooLarge, "directories nest at most " + std::to_string(kMaxDirDepth) +
                                         " levels deep: " + std::string(path));
}

// How many levels of directories lie below the directory `fd` (0 if none),
// looking no further than `limit` levels. Takes ownership of `fd`.
int subtree_depth(int fd, int limit) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return 0;
  }
  int deepest = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == ".." || limit <= 0 || d->d_type == DT_REG) {
      continue;
    }
    const int sub =
        ::openat(::dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) {
      deepest = std::max(deepest, 1 + subtree_depth(sub, limit - 1));
    }
  }
  ::closedir(dir);
  return deepest;
}

// The kind of what `leaf` names in `dir`: 'f' file, 'd' directory, '-' none.
Result<char> kind_of(int dir, const std::string& leaf, std::string_view shown) {
  struct stat st {};
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) {
      return '-';
    }
    return errno_error(errno, shown);
  }
  if (S_ISDIR(st.st_mode)) {
    return 'd';
  }
  if (S_ISREG(st.st_mode)) {
    return 'f';
  }
  return make_error(Errc::kBadPath,
                    "path refused (symlink or special file): " + std::string(shown));
}

// Refuses to replace a file with other hard links (storage/links.h).
Result<void> check_target_file(int dir, const std::string& leaf, std::string_view shown) {
  struct stat st {};
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Result<void>() : Result<void>(errno_error(errno, shown));
  }
  return check_single_link(st, shown);
}

// Creates `leaf` in `dir` (counting it in `made`) or accepts an existing
// directory there; returns the directory opened.
Result<UniqueFd> make_or_open(int dir, const std::string& leaf, std::string_view shown,
                              Usage& made) {
  if (::mkdirat(dir, leaf.c_str(), 0700) == 0) {
    made.entries += 1;
  } else if (errno != EEXIST) {
    return errno_error(errno, shown);
  }
  SFS_ASSIGN_OR_RETURN(const char kind, kind_of(dir, leaf, shown));
  if (kind != 'd') {
    return make_error(Errc::kNotDir, "not a directory: " + std::string(shown));
  }
  return open_beneath(dir, leaf, O_RDONLY | O_DIRECTORY, 0, shown);
}

// Removes what interrupted uploads left in a directory about to go, unless
// anything else is in it or an upload is writing there right now. Returns
// what it removed; nullopt when the directory is not empty.
std::optional<Usage> clear_upload_debris(int fd) {
  DIR* dir = ::fdopendir(::dup(fd));
  if (dir == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> debris;
  bool empty = true;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    if (!is_upload_debris_name(name)) {
      empty = false;
      break;  // not going: no need to read a big directory to its end
    }
    debris.emplace_back(name);
  }
  ::closedir(dir);
  // Not going: the leftovers stay for their resume.
  const auto live = [fd](const std::string& name) {
    return !idle_upload_file_size(fd, name.c_str()).has_value();
  };
  if (!empty || std::any_of(debris.begin(), debris.end(), live)) {
    return std::nullopt;
  }
  Usage removed;
  for (const std::string& name : debris) {
    auto bytes = remove_if_stale(fd, name.c_str(), std::chrono::seconds(0));
    if (!bytes) {
      return std::nullopt;  // an upload started here just now
    }
    removed.bytes += *bytes;
    removed.entries += 1;
  }
  return removed;
}

// The number of directories make_dir(relative, parents = true) has to
// create: those from the first component that does not exist yet.
std::uint64_t missing_dirs(int root, std::string_view relative) {
  const std::uint64_t total = static_cast<std::uint64_t>(component_count(relative));
  std::uint64_t existing = 0;
  std::size_t start = 0;
  while (start < relative.size()) {
    const std::size_t slash = std::min(relative.find('/', start), relative.size());
    auto dir = open_beneath(root, relative.substr(0, slash), O_RDONLY | O_DIRECTORY);
    if (!dir) {
      break;
    }
    ++existing;
    start = slash + 1;
  }
  return total - existing;
}

}  // namespace

Result<Usage> UserTree::make_dir(std::string_view relative, bool parents,
                                 const AdmitDirs& admit) const {
  SFS_RETURN_IF_ERROR(check_relative(relative));
  if (component_count(relative) > kMaxDirDepth) {
    return too_deep(relative);
  }
  if (!parents) {
    SFS_ASSIGN_OR_RETURN(auto parent, open_parent(relative));
    if (admit) {
      SFS_RETURN_IF_ERROR(admit(1));
    }
    if (::mkdirat(parent.first.get(), parent.second.c_str(), 0700) != 0) {
      return errno == EEXIST ? make_error(Errc::kExists, "already exists: " + std::string(relative))
                             : errno_error(errno, relative);
    }
    return Usage{0, 1};
  }
  if (admit) {
    if (const std::uint64_t count = missing_dirs(dir_->get(), relative); count > 0) {
      SFS_RETURN_IF_ERROR(admit(count));
    }
  }
  auto dir = open_beneath(dir_->get(), ".", O_RDONLY | O_DIRECTORY);
  Usage made;
  std::size_t start = 0;
  while (dir && start < relative.size()) {
    const std::size_t slash = std::min(relative.find('/', start), relative.size());
    const std::string leaf(relative.substr(start, slash - start));
    dir = make_or_open(dir->get(), leaf, relative.substr(0, slash), made);
    start = slash + 1;
  }
  if (!dir) {
    return dir.error();
  }
  return made;
}

Result<Usage> UserTree::remove_dir(std::string_view relative) const {
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(relative));
  auto& [dir, leaf] = parent;
  SFS_ASSIGN_OR_RETURN(const char kind, kind_of(dir.get(), leaf, relative));
  if (kind == '-') {
    return make_error(Errc::kNotFound, "no such directory: " + std::string(relative));
  }
  if (kind != 'd') {
    return make_error(Errc::kNotDir, "not a directory: " + std::string(relative));
  }
  SFS_ASSIGN_OR_RETURN(auto victim,
                       open_beneath(dir.get(), leaf, O_RDONLY | O_DIRECTORY, 0, relative));
  auto removed = clear_upload_debris(victim.get());
  if (!removed || ::unlinkat(dir.get(), leaf.c_str(), AT_REMOVEDIR) != 0) {
    return make_error(Errc::kNotEmpty, "directory not empty: " + std::string(relative));
  }
  (void)::fsync(dir.get());
  removed->entries += 1;
  return *removed;
}

Result<std::string> UserTree::move(std::string_view from, std::string_view to,
                                   std::size_t max_path_bytes, Usage* replaced) const {
  SFS_RETURN_IF_ERROR(check_relative(to));
  SFS_ASSIGN_OR_RETURN(auto source, open_parent(from));
  SFS_ASSIGN_OR_RETURN(const char source_kind, kind_of(source.first.get(), source.second, from));
  if (source_kind == '-') {
    return make_error(Errc::kNotFound, "no such file or directory: " + std::string(from));
  }
  SFS_ASSIGN_OR_RETURN(auto target, open_parent(to));
  std::string final_path(to);
  SFS_ASSIGN_OR_RETURN(char target_kind, kind_of(target.first.get(), target.second, to));
  if (target_kind == 'd') {  // like mv: into the directory
    SFS_ASSIGN_OR_RETURN(auto inside, open_beneath(dir_->get(), to, O_RDONLY | O_DIRECTORY));
    final_path += "/" + source.second;
    target = std::pair<UniqueFd, std::string>(std::move(inside), source.second);
    SFS_ASSIGN_OR_RETURN(target_kind, kind_of(target.first.get(), target.second, final_path));
  }
  return finish_move(source, source_kind, from, target, target_kind, final_path, max_path_bytes,
                     replaced);
}

Result<std::string> UserTree::finish_move(const std::pair<UniqueFd, std::string>& source,
                                          char source_kind, std::string_view from,
                                          const std::pair<UniqueFd, std::string>& target,
                                          char target_kind, const std::string& final_path,
                                          std::size_t max_path_bytes, Usage* replaced) const {
  if (final_path == from) {
    return final_path;  // onto itself: nothing to do, like rename(2)
  }
  if (final_path.size() > max_path_bytes) {
    return make_error(Errc::kTooLarge, "resulting path too long: " + final_path);
  }
  if (source_kind == 'd') {
    if (final_path.starts_with(std::string(from) + "/")) {
      return make_error(Errc::kBadPath, "cannot move a directory into itself: " +
                                            std::string(from) + " -> " + final_path);
    }
    if (target_kind == 'f') {
      return make_error(Errc::kNotDir, "cannot replace a file with a directory: " + final_path);
    }
    SFS_ASSIGN_OR_RETURN(auto moved, open_beneath(source.first.get(), source.second,
                                                  O_RDONLY | O_DIRECTORY, 0, from));
    const int depth = component_count(final_path) + subtree_depth(moved.release(), kMaxDirDepth);
    if (depth > kMaxDirDepth) {
      return too_deep(final_path);
    }
  } else if (target_kind == 'd') {
    return make_error(Errc::kIsDir, "is a directory: " + final_path);
  }
  if (target_kind == 'f') {
    SFS_RETURN_IF_ERROR(check_target_file(target.first.get(), target.second, final_path));
  }
  // What the rename replaces, measured just before it.
  Usage over;
  if (struct stat st{}; target_kind != '-' && ::fstatat(target.first.get(), target.second.c_str(),
                                                        &st, AT_SYMLINK_NOFOLLOW) == 0) {
    over = {S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0, 1};
  }
  if (::renameat(source.first.get(), source.second.c_str(), target.first.get(),
                 target.second.c_str()) != 0) {
    if (errno == EINVAL) {
      return make_error(Errc::kBadPath, "cannot move a directory into itself: " + final_path);
    }
    if (errno == ENOTEMPTY || errno == EEXIST) {
      return make_error(Errc::kNotEmpty, "directory not empty: " + final_path);
    }
    return errno_error(errno, final_path);
  }
  (void)::fsync(source.first.get());
  (void)::fsync(target.first.get());
  if (replaced != nullptr) {
    *replaced = over;
  }
  return final_path;
}

}  // namespace sfs::storage
