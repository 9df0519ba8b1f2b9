#pragma once
// What every storage backend reports about a user's space: listing and stat
// entries (with dead properties, for WebDAV), bitrot-check results and the
// nesting limit. Shared by UserTree (the POSIX tree) and the backend
// interface (storage/backend.h).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/dead_props.h"

namespace sfs::storage {

// How deep directories may nest below a user's root (components of a
// directory's path). MKDIR and MOVE refuse to go deeper, and every walk of
// the tree (usage, verify, the temp cleaner) stops there, so nothing can
// hide from the quota below a depth the walks do not reach.
inline constexpr int kMaxDirDepth = 64;

struct DirEntry {
  std::string name;  // the leaf name in a listing, the path asked about in stat()
  bool is_dir = false;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // seconds since the epoch
  std::string digest;      // stored digest (hex) of a file, empty if none
};

// A member of a folder with its dead properties (Space::list_with_props).
struct PropEntry {
  DirEntry entry;
  std::vector<DeadProp> dead;
};

// Whether `entry` is a file of `size` bytes whose stored digest is
// `digest`: an upload of that content would change nothing.
inline bool holds_content(const DirEntry& entry, std::uint64_t size, std::string_view digest) {
  return !entry.is_dir && entry.size == size && entry.digest == digest;
}

// One file's result of a bitrot check.
struct FileCheck {
  enum class Status { kOk, kCorrupt, kUnhashed, kUnreadable };
  std::string name;
  Status status = Status::kOk;
};

}  // namespace sfs::storage
