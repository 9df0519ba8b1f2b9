#pragma once
// The in-memory backend's model of one user's tree (internal to
// storage/memory): UserTree's operations on maps, all under one mutex, with
// the same rules and error codes. Directories have identity (shared_ptr), so
// a moved directory keeps its uploads in progress, like a POSIX inode.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "storage/backend.h"
#include "storage/dead_props.h"
#include "storage/entries.h"
#include "storage/usage.h"

namespace sfs::storage::memory {

// A stored file. Its content never changes once stored (a commit makes a
// new File), so readers keep the snapshot they opened without a lock.
struct File {
  std::shared_ptr<const std::string> content;
  std::string digest;  // guarded by the Tree's mutex
  std::int64_t mtime = 0;
  std::vector<DeadProp> props;  // guarded by the Tree's mutex
};

struct Dir;

// One name in a directory: exactly one of the two is set.
struct Node {
  std::shared_ptr<File> file;
  std::shared_ptr<Dir> dir;
};

// The data an interrupted resumable upload kept, keyed by (leaf, size).
struct Partial {
  std::shared_ptr<std::string> data;
  bool busy = false;  // an upload writes it right now
  std::int64_t mtime = 0;
};

struct Dir {
  std::map<std::string, Node, std::less<>> entries;
  std::map<std::pair<std::string, std::uint64_t>, Partial> partials;
  int running = 0;    // plain uploads writing into this directory now
  bool gone = false;  // removed or replaced: uploads into it cannot commit
  std::int64_t mtime = 0;
  std::vector<DeadProp> props;
};

// An upload's state, owned by its write handle, changed only through Tree.
struct Upload {
  std::shared_ptr<Dir> dir;
  std::string leaf;
  std::optional<std::uint64_t> partial_size;  // resumable: its partial's key
  std::shared_ptr<std::string> data;
  std::string digest;
  std::optional<std::int64_t> mtime;  // the file's at commit; none: the commit's time
  std::uint64_t held = 0;
  std::uint64_t position = 0;
  bool done = false;
};

// Copies up to `length` bytes of `from` at `offset` into `data`; returns the
// count (0 at or past the end), as pread(2).
std::size_t copy_out(const std::string& from, char* data, std::size_t length, std::uint64_t offset);

class Tree {
 public:
  Tree();

  Result<std::shared_ptr<File>> open_read(std::string_view path) const;
  Result<Upload> create(std::string_view path, std::optional<std::uint64_t> resumable_size);
  Result<Usage> remove(std::string_view path);
  Result<std::vector<DirEntry>> list(std::string_view path) const;
  Result<DirEntry> stat(std::string_view path) const;
  Result<Usage> make_dir(std::string_view path, bool parents, const Space::AdmitDirs& admit);
  Result<Usage> remove_dir(std::string_view path);
  Result<Space::Moved> move(std::string_view from, std::string_view to, std::size_t max_path_bytes);
  Usage usage() const;
  std::vector<FileCheck> verify() const;
  // Drops partials nobody holds, untouched for `ttl`; returns how many.
  std::size_t remove_stale(std::chrono::seconds ttl);

  // Dead properties live in the File or Dir, so they follow the node.
  Result<std::vector<DeadProp>> dead_props(std::string_view path) const;
  Result<void> patch_dead_props(std::string_view path, const std::vector<PropChange>& changes);

  std::string digest(const File& file) const;
  void set_digest(File& file, std::string hex);

  Result<std::size_t> read_at(const Upload& up, char* data, std::size_t length,
                              std::uint64_t offset) const;
  void continue_at(Upload& up, std::uint64_t offset);
  void write(Upload& up, const char* data, std::size_t length);
  void set_digest(Upload& up, std::string hex);
  Result<Usage> commit(Upload& up);
  void discard(Upload& up);
  std::uint64_t keep_for_resume(Upload& up);

 private:
  // The directory at `path` ("" or "." for the root); kNotFound when a
  // component is missing or a file.
  Result<std::shared_ptr<Dir>> find_dir(std::string_view path) const;
  // Checks `path` and returns its parent directory and leaf.
  Result<std::pair<std::shared_ptr<Dir>, std::string>> open_parent(std::string_view path) const;
  Result<Usage> make_dirs(std::string_view path, const Space::AdmitDirs& admit);
  // The properties of the file or directory at `path` ("" is the root).
  Result<std::vector<DeadProp>*> props_of(std::string_view path) const;
  Result<Space::Moved> finish_move(Dir& source, const std::string& leaf, std::string_view from,
                                   Dir& target, const std::string& target_leaf,
                                   const std::string& final_path, std::size_t max_path_bytes);
  void end_upload(Upload& up, bool keep);

  mutable std::mutex mutex_;
  std::shared_ptr<Dir> root_;
};

}  // namespace sfs::storage::memory
