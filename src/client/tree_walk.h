#pragma once
// The walks of a local and a remote tree that put -r, get -r and sync share
// (defined in tree_transfer.cc): every entry below the top, in name order
// (a folder before what it holds), as paths relative to the top.
//
//   std::vector<TreeItem> items;
//   walk_local("photos", "", 1, items, summary);   // symlinks skipped, noted

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"
#include "client/tree_transfer.h"

namespace sfs::client {

struct TreeItem {
  std::string relative;  // below the top, '/'-separated
  bool is_dir = false;
  std::uint64_t size = 0;
  std::uint64_t mtime = 0;  // remote items: seconds since the epoch
  std::string digest;       // remote items: the stored digest, or empty
  struct stat status {};    // local files: lstat's answer (LocalDigests knows them by it)
};

// Collects the local tree below `dir` (`relative` its path below the top,
// `depth` 1 at the top). Symlinks and special files are skipped with a
// warning (in summary.skipped); unreadable directories go to summary.failed.
void walk_local(const std::filesystem::path& dir, const std::string& relative, int depth,
                std::vector<TreeItem>& items, TransferSummary& summary);

// Collects the remote tree below `dir`. Fails when the top cannot be listed
// or the connection is lost; a folder below that cannot be listed goes to
// summary.failed. Names from the server are checked (check_remote_name).
Result<void> walk_remote(Connection& conn, const std::string& dir, const std::string& relative,
                         int depth, std::vector<TreeItem>& items, TransferSummary& summary);

// `top` + "/" + `relative`, either part possibly empty.
std::string join_path(const std::string& top, const std::string& relative);

}  // namespace sfs::client
