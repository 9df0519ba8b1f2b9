#pragma once
// One user's directory. Every operation resolves its path beneath the
// directory handle, so no path can reach another user's files.
//
//   auto up = tree.create("notes.txt");   // hidden temp file
//   up->write(data, n); up->commit();      // now visible as notes.txt
//   auto f = tree.open_read("notes.txt");  // f->size(), f->read_at(...)

#include <cstdint>
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
};

class UserTree {
 public:
  explicit UserTree(UniqueFd dir) : dir_(std::move(dir)) {}

  // kNotFound, kIsDir, kBadPath (symlink, special file).
  Result<ReadFile> open_read(std::string_view relative) const;
  // Starts an upload to `relative`; its parent directory must exist.
  Result<Upload> create(std::string_view relative) const;
  // Removes a file (not a directory, not a symlink).
  Result<void> remove(std::string_view relative) const;
  // Files and directories at the top of the tree, sorted by name. Temp
  // files, symlinks and special files are left out.
  Result<std::vector<DirEntry>> list() const;

 private:
  // Opens the parent directory of `relative` and returns it with the leaf.
  Result<std::pair<UniqueFd, std::string>> open_parent(std::string_view relative) const;

  UniqueFd dir_;
};

}  // namespace sfs::storage
