#pragma once
// One user's directory. Every operation resolves its path beneath the
// directory handle, so no path can reach another user's files.
//
//   auto up = tree.create("notes.txt");   // hidden temp file
//   up->write(data, n); up->commit();      // now visible as notes.txt
//   auto f = tree.open_read("notes.txt");  // f->size(), f->read_at(...)

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/dead_props.h"
#include "storage/digest_cache.h"
#include "storage/entries.h"
#include "storage/files.h"
#include "storage/usage.h"

namespace sfs::storage {

class UserTree {
 public:
  explicit UserTree(UniqueFd dir) : dir_(std::make_shared<const UniqueFd>(std::move(dir))) {}
  // Sessions of one user share the directory handle (one descriptor, not
  // one per connection).
  // `digests`: the store's cache of digests for listings (none: each
  // listing reads every file's attribute).
  explicit UserTree(std::shared_ptr<const UniqueFd> dir, DigestCache* digests = nullptr)
      : dir_(std::move(dir)), digests_(digests) {}

  // kNotFound, kIsDir, kBadPath (symlink, special file, a file with other
  // hard links: storage/links.h).
  Result<ReadFile> open_read(std::string_view relative) const;
  // Starts an upload to `relative`; its parent directory must exist. With
  // `resumable_size`, the upload continues the partial file an interrupted
  // upload of that name and size left (unless one is running right now).
  // kBadPath when `relative` is a file with other hard links. A partial
  // file the server did not make itself (another owner, other hard links)
  // is dropped, never written, and the upload starts afresh.
  Result<Upload> create(std::string_view relative,
                        std::optional<std::uint64_t> resumable_size = std::nullopt) const;
  // Removes a file (not a directory, not a symlink). Returns what went:
  // {its size, 1}.
  Result<Usage> remove(std::string_view relative) const;
  // Files and directories in the directory `relative` (empty: the top of
  // the tree), sorted by name. Temp files, symlinks and special files are
  // left out. A file with other hard links is listed without a digest.
  // kNotDir when `relative` is a file.
  Result<std::vector<DirEntry>> list(std::string_view relative = {}) const;
  // Type, size, mtime and stored digest of a file or directory; kBadPath
  // for a symlink or special file.
  Result<DirEntry> stat(std::string_view relative) const;
  // Asked with the number of directories make_dir is about to create,
  // before it creates any; an error stops it with that error.
  using AdmitDirs = std::function<Result<void>(std::uint64_t count)>;
  // Creates the directory `relative` (mode 0700). Without `parents` its
  // parent must exist (kNotFound) and the name must be free (kExists); with
  // it, missing parents are created and an existing directory is fine.
  // kNotDir when a component is a file; kTooLarge past kMaxDirDepth.
  // Returns what it made: {0, directories created}.
  Result<Usage> make_dir(std::string_view relative, bool parents,
                         const AdmitDirs& admit = {}) const;
  // Removes an empty directory (kNotEmpty otherwise; leftovers of
  // interrupted uploads that nobody is writing do not count and go too).
  // Returns what went: the directory and those leftovers.
  Result<Usage> remove_dir(std::string_view relative) const;
  // Renames `from` to `to` atomically (renameat on handles opened beneath
  // the root). Like mv: when `to` is a directory, `from` moves into it; an
  // existing file at the target is replaced. Returns the final path.
  // Refuses a directory into itself (kBadPath), a file over a directory
  // (kIsDir), a directory over a file (kNotDir), a non-empty directory
  // (kNotEmpty), a file with other hard links at the target (kBadPath), a
  // final path over `max_path_bytes` or nesting past kMaxDirDepth
  // (kTooLarge). `replaced`, when given, receives what the move replaced at
  // the target (a file, or an empty directory).
  Result<std::string> move(std::string_view from, std::string_view to, std::size_t max_path_bytes,
                           Usage* replaced = nullptr) const;
  // Walks the whole tree (symlinks are not followed) and counts what the
  // quotas count: every file and folder, and the files of interrupted
  // uploads kept for a resume; the files of uploads running right now are
  // left out (their uploads account for them). Slow on a big tree: run it
  // off the network threads.
  Result<Usage> usage() const;
  // Size of the regular file at `relative`, 0 when there is none.
  std::uint64_t size_of(std::string_view relative) const;

  // Re-reads every file in the tree (names are paths, "a/b.txt") and
  // compares it with its stored digest. Slow (reads everything): run it off
  // the network threads.
  Result<std::vector<FileCheck>> verify() const;

  // Dead properties of the file or directory `relative` ("" is the top of
  // the tree), kept in an extended attribute (storage/props_xattr.h).
  // kNotFound; kBadPath for a symlink, special file or a file with other
  // hard links.
  Result<std::vector<DeadProp>> dead_props(std::string_view relative) const;
  // list(), each member with its dead properties (none for a file with
  // other hard links), read through the one open directory.
  Result<std::vector<PropEntry>> list_with_props(std::string_view relative) const;
  // Applies `changes` all or none (apply_prop_changes), under the inode's
  // flock. kTooLarge past the limits or when the filesystem has no room.
  Result<void> patch_dead_props(std::string_view relative,
                                const std::vector<PropChange>& changes) const;

 private:
  // Opens the directory `relative` to list it: kNotDir for a file.
  Result<UniqueFd> open_listed(std::string_view relative) const;
  // Opens the file or directory whose dead properties are asked for.
  Result<UniqueFd> open_resource(std::string_view relative) const;
  // Opens the parent directory of `relative` and returns it with the leaf.
  Result<std::pair<UniqueFd, std::string>> open_parent(std::string_view relative) const;
  // The checks and the rename of move(), once both ends are resolved.
  // Kinds are 'f', 'd' or '-' (nothing there).
  Result<std::string> finish_move(const std::pair<UniqueFd, std::string>& source, char source_kind,
                                  std::string_view from,
                                  const std::pair<UniqueFd, std::string>& target, char target_kind,
                                  const std::string& final_path, std::size_t max_path_bytes,
                                  Usage* replaced) const;

  std::shared_ptr<const UniqueFd> dir_;
  DigestCache* digests_ = nullptr;  // the store's, shared by its trees
};

}  // namespace sfs::storage
