#pragma once
// What the client's commands do on a logged-in connection (put, get, view,
// rm, ls, ...): the handlers of the command table (client/command_table.h)
// call these for the command line, the shell, batch mode and the menu.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"
#include "client/unchanged.h"

namespace sfs::client {

struct SessionOptions {
  ConnectOptions connect;
  std::string user;           // empty: $SFS_USER, else $USER
  std::string password_file;  // used when $SFS_PASSWORD is not set
  bool compress = false;      // --compress: ask for zstd on the wire
};

// Connects, verifies the server and logs in. With `compress`, then asks for
// compression; a server that does not offer it gets a one-line note on
// stderr and the session goes on uncompressed.
Result<std::unique_ptr<Connection>> open_session(const SessionOptions& options);

// `put LOCAL [REMOTE]`: REMOTE defaults to LOCAL's file name; a REMOTE that
// is a directory receives the file under LOCAL's name.
// Missing remote parent directories are created (like rclone).
// Both resume an interrupted transfer of the same data unless `resume` is
// off, and skip a file whose target has the same content unless `force`
// is on (kUnchanged, with a note on stderr).
Result<Outcome> put_file(Connection& conn, const std::string& local, const std::string& remote,
                         const CopyOptions& options = {});
// `get REMOTE [LOCAL]`: LOCAL defaults to REMOTE's file name in the current
// directory; an existing directory receives the file under REMOTE's name.
Result<Outcome> get_file(Connection& conn, const std::string& remote, const std::string& local,
                         const CopyOptions& options = {});
// `view REMOTE [--bytes N]`: raw bytes to `out`; when `out` is a terminal,
// text as text and binary data as a hex dump (client/view_format.h).
Result<void> view_file(Connection& conn, const std::string& remote, std::uint64_t bytes,
                       std::FILE* out);
Result<void> remove_file(Connection& conn, const std::string& remote);

struct ListOptions {
  std::string path;          // remote directory; empty: the top
  bool long_format = false;  // -l: type and stored digest too
  bool recursive = false;    // -R: the whole tree, as full remote paths
  bool json = false;         // one JSON array of entry objects
  bool all = false;          // -a: names starting with '.' too (JSON always has them)
  bool human = false;        // -h: sizes as 1.5K, 23M
};
// `ls [-l] [-R] [PATH]`: one line per entry: size, modification time, name
// ('/' after folders). A PATH that names a file lists that file.
Result<void> list_files(Connection& conn, const ListOptions& options, std::FILE* out);

// `stat PATH`: type, size, modification time and stored digest.
Result<void> stat_entry(Connection& conn, const std::string& remote, bool json, std::FILE* out);
// `mkdir [-p] PATH`, `rmdir PATH`, `mv SRC DST`.
Result<void> make_dir(Connection& conn, const std::string& remote, bool parents);
Result<void> remove_dir(Connection& conn, const std::string& remote);
Result<void> move_entry(Connection& conn, const std::string& from, const std::string& to);

// `hash REMOTE`: prints "<xxh128>  <name>" like xxh128sum (or a JSON object).
Result<void> hash_file(Connection& conn, const std::string& remote, std::FILE* out,
                       bool json = false);

struct TransferOptions {
  std::string first;   // put: LOCAL, get: REMOTE
  std::string second;  // put: REMOTE, get: LOCAL (may be empty)
  bool recursive = false;
  bool resume = true;
  bool json = false;       // print a summary object on `out`
  bool force = false;      // --force: send unchanged files too
  bool keep_times = true;  // --no-times: do not carry modification times over

  CopyOptions copy() const { return {resume, keep_times, force}; }
};
// `put [-r]` and `get [-r]`: one file, or a whole tree (see tree_transfer.h),
// with failures listed on stderr and, with `json`, a summary on `out`.
Result<void> put_command(Connection& conn, const TransferOptions& options, std::FILE* out);
Result<void> get_command(Connection& conn, const TransferOptions& options, std::FILE* out);
// `verify`: the server re-reads every file; prints each damaged or
// unreadable one, and fails with kIntegrity when there is any. With `json`,
// one object: {"checked":N,"damaged":M,"files":[{"path":P,"status":S}...]}
// listing every file whose status is not ok.
Result<void> verify_files(Connection& conn, std::FILE* out, bool json = false);

// The last '/'-separated component of a path.
std::string last_component(const std::string& path);
// Checks a remote path before anything is sent (kBadPath, with the reason
// the server would give: "path is not valid UTF-8", ...).
Result<void> check_remote_path(const std::string& remote);

// The line a put of an unchanged file prints instead of sending it.
void say_unchanged(const std::string& target);
// Where `get REMOTE [LOCAL]` writes.
std::filesystem::path local_target(const std::string& remote, const std::string& local);

// Prints "sfs: MESSAGE" on stderr and returns the matching exit status.
int report(const Error& error);

}  // namespace sfs::client
