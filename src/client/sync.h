#pragma once
// `sync SOURCE DEST`: a one-way mirror of a folder tree, local to remote or
// remote to local (like `rclone sync` or `rsync -a --delete`). Files whose
// target has the same size and digest are not sent; the rest move with the
// one-file put/get (resume, digest check, modification time). With
// `delete_extra` what DEST holds and SOURCE does not is deleted; with
// `dry_run` nothing changes and each step is printed instead.
//
//   SyncOptions options{.local = "photos", .remote = "backup/photos", .upload = true};
//   auto ok = sync_trees(conn, options, stdout);   // prints a summary

#include <cstdio>
#include <string>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

struct SyncOptions {
  std::string local;          // the local directory
  std::string remote;         // the remote folder ("" is the top)
  bool upload = true;         // local -> remote; false: remote -> local
  bool delete_extra = false;  // --delete
  bool dry_run = false;       // --dry-run
  bool force = false;         // --force: send unchanged files too
  bool keep_times = true;     // --no-times: do not carry modification times
  bool resume = true;
  bool json = false;  // the summary as one JSON object
  // --exclude: globs (fnmatch), each matched against every relative path
  // and every name.
  std::vector<std::string> excludes;
};

// Runs the sync and prints its summary on `out` ("sync: 3 sent (1.2 MiB),
// 997 unchanged, 2 deleted, 1 folder(s) created, 0 failed", or JSON). A
// missing SOURCE is kNotFound; a DEST that is not a folder kNotDir. Steps
// that fail are listed on stderr and the rest go on; the result is then an
// error of the first failure's class. A lost connection stops it.
Result<void> sync_trees(Connection& conn, const SyncOptions& options, std::FILE* out);

// Splits the operands of `sync A B`: exactly one must name the remote side
// with a leading ':' (":backup/photos", ":" for the top), as scp's
// host:path does. Sets options.local, options.remote (without the ':') and
// options.upload; kBadRequest with a hint otherwise.
Result<void> sync_operands(const std::string& first, const std::string& second,
                           SyncOptions& options);

}  // namespace sfs::client
