#pragma once
// Recursive transfers of whole trees: `put -r DIR [REMOTE]` and
// `get -r DIR [LOCAL]`, empty directories included. Each file moves with the
// one-file put/get (resume and end-to-end digest per file); one progress
// line covers the whole tree. A file that fails is recorded and the rest go
// on; only a lost connection stops the transfer.
//
//   TransferSummary summary;
//   auto ok = put_tree(conn, "photos", "backup/photos", CopyOptions{}, summary);
//   // summary.failed lists what did not make it

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"
#include "client/unchanged.h"

namespace sfs::client {

struct TransferFailure {
  std::string path;  // relative to the tree's top (local or remote path for one file)
  Error error;
};

struct TransferSummary {
  std::string command;               // "put" or "get"
  std::uint64_t files = 0;           // transferred
  std::uint64_t bytes = 0;           // in those files
  std::uint64_t directories = 0;     // created or already there
  std::uint64_t unchanged = 0;       // files not sent: the target had the same content
  std::vector<std::string> skipped;  // local symlinks and special files
  std::vector<TransferFailure> failed;
};

// Uploads the local directory `local` (following it if it is a symlink; no
// symlink below it is followed: those are skipped with a warning) to the
// remote directory `remote`, created with its parents. Files the remote tree
// already holds with the same content are skipped (counted in `unchanged`)
// unless options.force. Fails only when the transfer could not start or
// the connection was lost.
Result<void> put_tree(Connection& conn, const std::filesystem::path& local,
                      const std::string& remote, const CopyOptions& options,
                      TransferSummary& summary);

// Downloads the remote directory `remote` to the local directory `local`
// (created with its parents). Names the server sends are checked to be
// single components; a local symlink in the way is never written through.
// Unchanged local files are skipped the same way.
Result<void> get_tree(Connection& conn, const std::string& remote,
                      const std::filesystem::path& local, const CopyOptions& options,
                      TransferSummary& summary);

// Refuses a name in a LIST reply that is not one safe path component
// (kProtocol): a server must not steer the client with "../x" or "a/b".
Result<void> check_remote_name(const std::string& name);

// The summary as one JSON object:
// {"command":"put","files":2,"bytes":10,"directories":1,"unchanged":0,"skipped":[...],
//  "failed":[{"path":...,"error":"LOCAL","message":...}],"ok":false}
std::string summary_json(const TransferSummary& summary);

// Prints the warnings (skipped) and failures of a summary on stderr; returns
// an error (of the first failure's class) saying how many failed, if any.
Result<void> report_failures(const TransferSummary& summary);

}  // namespace sfs::client
