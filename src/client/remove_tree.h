#pragma once
// `rm -r`: a remote folder and everything in it, deleted from the bottom up
// (DELETE for each file, RMDIR for each folder once empty). A file is just
// deleted.
//
//   RemoveCounts counts;
//   auto ok = remove_tree(conn, "old/2019", counts);  // counts.files, counts.folders

#include <cstdint>
#include <string>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

struct RemoveCounts {
  std::uint64_t files = 0;    // deleted
  std::uint64_t folders = 0;  // deleted
};

// Deletes `remote` (normalized, not the top) and, when it is a folder,
// everything below it. Stops at the first error, which it returns; `counts`
// says what was deleted until then. kProtocol when a listing holds an unsafe
// name; kTooLarge past 64 levels.
Result<void> remove_tree(Connection& conn, const std::string& remote, RemoveCounts& counts);

}  // namespace sfs::client
