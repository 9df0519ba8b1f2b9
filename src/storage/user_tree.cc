#include "storage/user_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "crypto/digest.h"
#include "storage/beneath.h"
#include "storage/digest_xattr.h"
#include "storage/links.h"
#include "storage/props_xattr.h"
#include "storage/temps.h"

namespace sfs::storage {
namespace {

std::string random_temp_name() {
  unsigned char bytes[12];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    // getrandom on Linux >= 3.17 does not fail for small requests.
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = kTempPrefix;
  for (const unsigned char b : bytes) {
    name += kHex[b >> 4];
    name += kHex[b & 0xF];
  }
  return name;
}

// The partial file of an upload of `leaf` with `size` bytes: found again
// by the next upload of the same name and size.
std::string partial_name(const std::string& leaf, std::uint64_t size) {
  return std::string(kPartialPrefix) + crypto::digest_of(leaf) + "-" + std::to_string(size);
}

// Opens (creating it if needed) and locks the partial file. Invalid when
// another upload holds it or it cannot be opened: the caller then uses a
// plain temp file. A planted partial is unlinked (the name only: whatever it
// links to stays untouched) and a fresh one made in its place.
UniqueFd open_partial(int dir_fd, const std::string& leaf, std::uint64_t size) {
  const std::string name = partial_name(leaf, size);
  for (int attempt = 0; attempt < 3; ++attempt) {
    // O_NONBLOCK: a FIFO or device planted under the name must not block.
    UniqueFd fd(::openat(dir_fd, name.c_str(),
                         O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600));
    struct stat st {};
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 || ::fstat(fd.get(), &st) != 0 ||
        !S_ISREG(st.st_mode)) {
      return UniqueFd();
    }
    // Between our open and our lock, the name may have been removed (by the
    // cleaner) or renamed over its target (by the upload that held it): the
    // file is ours only if the name still leads to it.
    struct stat named {};
    if (st.st_nlink == 0 || ::fstatat(dir_fd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
        named.st_ino != st.st_ino || named.st_dev != st.st_dev) {
      continue;
    }
    // A partial planted by someone else (another owner, or a hard link to a
    // file elsewhere) is never truncated, written or hashed: resuming into
    // it would overwrite the linked file, and the resume offer would hand
    // out the digest of its first bytes.
    if (is_own_single_file(st)) {
      return fd;
    }
    (void)::unlinkat(dir_fd, name.c_str(), 0);
  }
  return UniqueFd();
}

// Refuses a leaf that is not a regular file: a directory, a symlink (which
// would otherwise be replaced or removed without ever being followed) or a
// special file.
Result<void> check_regular(const struct stat& st, std::string_view leaf) {
  if (S_ISDIR(st.st_mode)) {
    return make_error(Errc::kIsDir, "is a directory: " + std::string(leaf));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::kBadPath, "path refused (not a regular file): " + std::string(leaf));
  }
  return {};
}

}  // namespace

Result<std::pair<UniqueFd, std::string>> UserTree::open_parent(std::string_view relative) const {
  SFS_RETURN_IF_ERROR(check_relative(relative));
  auto [parent, leaf] = split_parent(relative);
  SFS_ASSIGN_OR_RETURN(auto dir,
                       open_beneath(dir_->get(), parent, O_RDONLY | O_DIRECTORY, 0, relative));
  return std::pair{std::move(dir), std::move(leaf)};
}

Result<ReadFile> UserTree::open_read(std::string_view relative) const {
  SFS_RETURN_IF_ERROR(check_relative(relative));
  // O_NONBLOCK: a FIFO planted in the tree must not block the server.
  SFS_ASSIGN_OR_RETURN(auto fd, open_beneath(dir_->get(), relative, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return errno_error(errno, relative);
  }
  if (S_ISDIR(st.st_mode)) {
    return make_error(Errc::kIsDir, "is a directory: " + std::string(relative));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::kBadPath,
                      "path refused (not a regular file): " + std::string(relative));
  }
  SFS_RETURN_IF_ERROR(check_single_link(st, relative));
  return ReadFile(std::move(fd), static_cast<std::uint64_t>(st.st_size));
}

Result<Upload> UserTree::create(std::string_view relative,
                                std::optional<std::uint64_t> resumable_size) const {
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(relative));
  auto& [dir, leaf] = parent;
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    SFS_RETURN_IF_ERROR(check_regular(st, leaf));
    SFS_RETURN_IF_ERROR(check_single_link(st, relative));
  } else if (errno != ENOENT) {
    return errno_error(errno, relative);
  }
  if (resumable_size) {
    if (auto partial = open_partial(dir.get(), leaf, *resumable_size); partial.valid()) {
      struct stat held {};
      ::fstat(partial.get(), &held);
      std::string name = partial_name(leaf, *resumable_size);
      Upload upload(std::move(dir), std::move(partial), std::move(name), std::move(leaf), true,
                    static_cast<std::uint64_t>(held.st_size));
      upload.remember_in(digests_);
      return upload;
    }
  }
  std::string temp = random_temp_name();
  const int fd =
      ::openat(dir.get(), temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return errno_error(errno, relative);
  }
  ::flock(fd, LOCK_EX);  // new and ours alone: marks it in use for the cleaner
  Upload upload(std::move(dir), UniqueFd(fd), std::move(temp), std::move(leaf), false, 0);
  upload.remember_in(digests_);
  return upload;
}

Result<Usage> UserTree::remove(std::string_view relative) const {
  SFS_ASSIGN_OR_RETURN(auto parent, open_parent(relative));
  auto& [dir, leaf] = parent;
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_error(errno, relative);
  }
  SFS_RETURN_IF_ERROR(check_regular(st, leaf));
  if (::unlinkat(dir.get(), leaf.c_str(), 0) != 0) {
    return errno_error(errno, relative);
  }
  return Usage{static_cast<std::uint64_t>(st.st_size), 1};
}

namespace {

DirEntry entry_of(std::string name, const struct stat& st) {
  return {std::move(name),
          S_ISDIR(st.st_mode),
          static_cast<std::uint64_t>(st.st_size),
          st.st_mtime,
          {}};
}

// Describes an opened file or directory; nullopt for anything else. A
// digest read goes into `digests` (when given).
std::optional<DirEntry> describe(int fd, std::string name, DigestCache* digests = nullptr) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    return std::nullopt;
  }
  DirEntry entry = entry_of(std::move(name), st);
  // A file with other hard links is listed (so its user sees what is in
  // the way and can remove it) but without a digest: the attribute belongs
  // to the file all its names share.
  if (S_ISREG(st.st_mode) && !has_other_links(st)) {
    entry.digest = read_digest_xattr(fd);
    if (digests != nullptr) {
      digests->put(st, entry.digest);
    }
  }
  return entry;
}

// One entry of a listing, from what an fstatat of it says when that is
// enough (a folder; a file whose digest `digests` holds), else from the
// file opened. nullopt for anything else (a symlink, a FIFO, gone).
std::optional<DirEntry> list_entry(int dir_fd, const char* name, DigestCache* digests) {
  struct stat st {};
  if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    return entry_of(name, st);
  }
  if (digests != nullptr && !has_other_links(st)) {
    if (auto digest = digests->find(st)) {
      DirEntry entry = entry_of(name, st);
      entry.digest = std::move(*digest);
      return entry;
    }
  }
  // O_NOFOLLOW leaves a symlink out that replaced it meanwhile; O_NONBLOCK
  // keeps a FIFO from blocking.
  const UniqueFd entry_fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!entry_fd.valid()) {
    return std::nullopt;
  }
  return describe(entry_fd.get(), name, digests);
}

// Reads the entries of an open directory (taking ownership of `fd`).
Result<std::vector<DirEntry>> read_entries(int fd, DigestCache* digests) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return errno_error(err, "listing");
  }
  std::vector<DirEntry> entries;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name == "." || name == ".." || name.starts_with(".sfs-")) {
      continue;
    }
    if (auto entry = list_entry(::dirfd(dir), d->d_name, digests)) {
      entries.push_back(std::move(*entry));
    }
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

}  // namespace

Result<UniqueFd> UserTree::open_listed(std::string_view relative) const {
  if (!relative.empty()) {
    SFS_RETURN_IF_ERROR(check_relative(relative));
  }
  SFS_ASSIGN_OR_RETURN(
      auto fd, open_beneath(dir_->get(), relative.empty() ? "." : relative, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return errno_error(errno, relative);
  }
  if (!S_ISDIR(st.st_mode)) {
    return make_error(Errc::kNotDir, "not a directory: " + std::string(relative));
  }
  return fd;
}

Result<std::vector<DirEntry>> UserTree::list(std::string_view relative) const {
  SFS_ASSIGN_OR_RETURN(auto fd, open_listed(relative));
  return read_entries(fd.release(), digests_);
}

Result<std::vector<PropEntry>> UserTree::list_with_props(std::string_view relative) const {
  SFS_ASSIGN_OR_RETURN(auto dir, open_listed(relative));
  // The listing consumes a descriptor of its own; the members' properties
  // are read through the same directory, not through its path again.
  UniqueFd listed(::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
  if (!listed.valid()) {
    return errno_error(errno, relative);
  }
  SFS_ASSIGN_OR_RETURN(auto entries, read_entries(listed.release(), digests_));
  std::vector<PropEntry> out;
  out.reserve(entries.size());
  for (DirEntry& entry : entries) {
    std::vector<DeadProp> dead = read_member_props(dir.get(), entry.name.c_str());
    out.push_back(PropEntry{std::move(entry), std::move(dead)});
  }
  return out;
}

Result<DirEntry> UserTree::stat(std::string_view relative) const {
  SFS_RETURN_IF_ERROR(check_relative(relative));
  SFS_ASSIGN_OR_RETURN(auto fd, open_beneath(dir_->get(), relative, O_RDONLY | O_NONBLOCK));
  auto entry = describe(fd.get(), std::string(relative));
  if (!entry) {
    return make_error(Errc::kBadPath,
                      "path refused (not a regular file or directory): " + std::string(relative));
  }
  return std::move(*entry);
}

namespace {

void add_usage(int dir_fd, int depth, Usage& usage) {
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    ::close(dir_fd);
    return;
  }
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    struct stat st {};
    if (name == "." || name == ".." ||
        ::fstatat(::dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      continue;
    }
    if (S_ISREG(st.st_mode) && is_upload_debris_name(name)) {
      if (auto idle = idle_upload_file_size(::dirfd(dir), d->d_name)) {
        usage.bytes += *idle;
        usage.entries += 1;
      }
    } else if (S_ISREG(st.st_mode)) {
      usage.bytes += static_cast<std::uint64_t>(st.st_size);
      usage.entries += name.starts_with(".sfs-") ? 0 : 1;
    } else if (S_ISDIR(st.st_mode)) {
      usage.entries += 1;
      const int sub =
          depth < kMaxDirDepth
              ? ::openat(::dirfd(dir), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
              : -1;
      if (sub >= 0) {
        add_usage(sub, depth + 1, usage);
      }
    }
  }
  ::closedir(dir);
}

}  // namespace

Result<Usage> UserTree::usage() const {
  SFS_ASSIGN_OR_RETURN(auto top, open_beneath(dir_->get(), ".", O_RDONLY | O_DIRECTORY));
  Usage usage;
  add_usage(top.release(), 0, usage);
  return usage;
}

std::uint64_t UserTree::size_of(std::string_view relative) const {
  auto file = open_read(relative);
  return file ? file->size() : 0;
}

namespace {

// Checks one file against its stored digest.
FileCheck::Status check_file(const Result<ReadFile>& file) {
  if (!file) {
    return FileCheck::Status::kUnreadable;
  }
  const std::string stored = file->stored_digest();
  auto actual = file->compute_digest();
  if (!actual) {
    return FileCheck::Status::kUnreadable;
  }
  return stored.empty()      ? FileCheck::Status::kUnhashed
         : stored == *actual ? FileCheck::Status::kOk
                             : FileCheck::Status::kCorrupt;
}

}  // namespace

Result<std::vector<FileCheck>> UserTree::verify() const {
  std::vector<FileCheck> checks;
  // Depth-first over directories, each listed in name order.
  std::vector<std::pair<std::string, int>> pending{{"", 0}};
  while (!pending.empty()) {
    auto [dir, depth] = std::move(pending.back());
    pending.pop_back();
    auto entries = list(dir);
    if (!entries) {
      if (dir.empty()) {
        return entries.error();
      }
      continue;  // removed or replaced while we walked
    }
    std::vector<std::pair<std::string, int>> subdirs;
    for (const DirEntry& entry : *entries) {
      std::string path = dir.empty() ? entry.name : dir + "/" + entry.name;
      if (entry.is_dir) {
        if (depth < kMaxDirDepth) {
          subdirs.emplace_back(std::move(path), depth + 1);
        }
        continue;
      }
      checks.push_back({path, check_file(open_read(path))});
    }
    pending.insert(pending.end(), subdirs.rbegin(), subdirs.rend());
  }
  return checks;
}

}  // namespace sfs::storage
