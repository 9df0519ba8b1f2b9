#pragma once
// Skipping what is already there: a put or get whose target holds the same
// bytes (the same size, then the same XXH3-128 digest) sends nothing, as
// rsync and rclone do. Content decides, not times: a file touched but not
// changed is not sent, and a changed file with an old time is. A local
// file's digest comes from LocalDigests when the file has not changed since
// it was hashed (client/local_digests.h), else from reading it.
//
//   CopyOptions options;                       // resume, keep times, skip
//   auto same = same_content(conn, "a.txt", "docs/a.txt", entry);
//   if (same && *same) { /* skip it */ }

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"
#include "client/connection.h"
#include "protocol/reply.h"

namespace sfs::client {

// How put and get (and their -r forms, and sync) move each file.
struct CopyOptions {
  bool resume = true;      // continue an interrupted transfer (--no-resume: start over)
  bool keep_times = true;  // carry the modification time over (--no-times: do not)
  bool force = false;      // --force: send files even when the target has the same content
};

// What happened to one file.
enum class Outcome { kSent, kUnchanged };

// The XXH3-128 digest (hex) of the local file at `path`; kNotFound or
// kLocal when it cannot be read.
Result<std::string> local_digest(const std::filesystem::path& path);

// A local regular file's size and digest, read through one open that
// follows no symlink; nullopt when it is no regular file or cannot be read.
struct LocalContent {
  std::uint64_t size = 0;
  std::string digest;
};
std::optional<LocalContent> local_content(const std::filesystem::path& path);

// Whether the local file `local` holds the same bytes as the remote file
// `remote`, whose listing entry is `entry`: false at once when either is no
// regular file or the sizes differ; otherwise the digests decide (the
// entry's, or the server's HASH when the entry has none). `known`: the
// local file's content as local_content() read it earlier (sync reads it
// while the remote listing is on its way), else it is read now. Fails only
// when the connection fails; a file that cannot be read or hashed is "not
// the same" (the transfer then says what is wrong).
Result<bool> same_content(Connection& conn, const std::filesystem::path& local,
                          const std::string& remote, const protocol::Entry& entry,
                          const LocalContent* known = nullptr);

// The remote entry at `remote`, or nullopt when there is none (kNotFound);
// other errors are returned.
Result<std::optional<protocol::Entry>> remote_entry_at(Connection& conn, const std::string& remote);

// Gives the local file `path` the modification time `mtime` (seconds since
// the epoch); kLocal when it cannot.
Result<void> set_local_mtime(const std::filesystem::path& path, std::int64_t mtime);

// "sfs: N unchanged file(s) skipped (same size and digest; --force sends
// them anyway)" on stderr, when N > 0.
void report_unchanged(std::uint64_t count);

}  // namespace sfs::client
