#pragma once
// The client's commands (put, get, view, rm, ls), shared by the one-shot
// command line and the interactive menu.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

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

// `put LOCAL [REMOTE]`: REMOTE defaults to LOCAL's file name.
// Both resume an interrupted transfer of the same data unless `resume` is off.
Result<void> put_file(Connection& conn, const std::string& local, const std::string& remote,
                      bool resume = true);
// `get REMOTE [LOCAL]`: LOCAL defaults to REMOTE's file name in the current
// directory; an existing directory receives the file under REMOTE's name.
Result<void> get_file(Connection& conn, const std::string& remote, const std::string& local,
                      bool resume = true);
// `view REMOTE [--bytes N]`: raw bytes to `out`; when `out` is a terminal,
// text as text and binary data as a hex dump (client/view_format.h).
Result<void> view_file(Connection& conn, const std::string& remote, std::uint64_t bytes,
                       std::FILE* out);
Result<void> remove_file(Connection& conn, const std::string& remote);
// `ls`: one line per entry: size, modification time, name ('/' after dirs).
Result<void> list_files(Connection& conn, std::FILE* out);

// `hash REMOTE`: prints "<xxh128>  <name>" like xxh128sum.
Result<void> hash_file(Connection& conn, const std::string& remote, std::FILE* out);
// `verify`: the server re-reads every file; prints each damaged or
// unreadable one, and fails with kIntegrity when there is any.
Result<void> verify_files(Connection& conn, std::FILE* out);

// Prints "sfs: MESSAGE" on stderr and returns the matching exit status.
int report(const Error& error);

}  // namespace sfs::client
