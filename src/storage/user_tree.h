#pragma once
// One user's directory. Every operation resolves its path beneath the
// directory handle, so no path can reach another user's files.
//
//   auto up = tree.create("notes.txt");   // hidden temp file
//   up->write(data, n); up->commit();      // now visible as notes.txt
//   auto f = tree.open_read("notes.txt");  // f->size(), f->read_at(...)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "storage/files.h"

namespace sfs::storage {

struct DirEntry {
  std::string name;
  bool is_dir = false;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // seconds since the epoch
  std::string digest;      // stored digest (hex) of a file, empty if none
};

// What a user's tree takes, for quotas: every regular file counts in
// `bytes`, hidden partial uploads included; `files` counts the visible ones.
struct Usage {
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
};

// One file's result of a bitrot check.
struct FileCheck {
  enum class Status { kOk, kCorrupt, kUnhashed, kUnreadable };
  std::string name;
  Status status = Status::kOk;
};

class UserTree {
 public:
  explicit UserTree(UniqueFd dir) : dir_(std::move(dir)) {}

  // kNotFound, kIsDir, kBadPath (symlink, special file).
  Result<ReadFile> open_read(std::string_view relative) const;
  // Starts an upload to `relative`; its parent directory must exist. With
  // `resumable_size`, the upload continues the partial file an interrupted
  // upload of that name and size left (unless one is running right now).
  Result<Upload> create(std::string_view relative,
                        std::optional<std::uint64_t> resumable_size = std::nullopt) const;
  // Removes a file (not a directory, not a symlink).
  Result<void> remove(std::string_view relative) const;
  // Files and directories at the top of the tree, sorted by name. Temp
  // files, symlinks and special files are left out.
  Result<std::vector<DirEntry>> list() const;
  // Walks the whole tree (symlinks are not followed).
  Result<Usage> usage() const;
  // Size of the regular file at `relative`, 0 when there is none.
  std::uint64_t size_of(std::string_view relative) const;

  // Re-reads every file at the top of the tree and compares it with its
  // stored digest. Slow (reads everything): run it off the network threads.
  Result<std::vector<FileCheck>> verify() const;

 private:
  // Opens the parent directory of `relative` and returns it with the leaf.
  Result<std::pair<UniqueFd, std::string>> open_parent(std::string_view relative) const;

  UniqueFd dir_;
};

}  // namespace sfs::storage
