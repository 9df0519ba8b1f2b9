#pragma once
// What part of a user's tree takes, as the quotas count it: `bytes` of
// regular files and `entries`, which are files, folders and the hidden
// files of uploads kept for a resume. Operations that change a tree return
// what they added or removed in these terms, so that a server can keep a
// user's usage up to date without walking the tree.

#include <cstdint>

namespace sfs::storage {

struct Usage {
  std::uint64_t bytes = 0;
  std::uint64_t entries = 0;

  friend bool operator==(const Usage&, const Usage&) = default;
};

}  // namespace sfs::storage
