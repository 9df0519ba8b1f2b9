#pragma once
// `sfs shell` and `sfs -b FILE`: the commands of the command table
// (client/command_table.h) available there, typed at an "sfs> " prompt or
// read from a file.
//
// On a terminal the shell edits lines and completes command and remote
// names with libedit, and keeps its history in $XDG_STATE_HOME/sfs/history
// (else ~/.local/state/sfs/history; mode 0600, the last 1000 lines).
// Ctrl-C there clears the line, or stops the running transfer (which a
// later put/get resumes); the shell goes on (client/interrupt.h). Without a
// terminal on stdin it reads plain lines and prints no prompts.
//
// When the server has closed the connection (its idle timeout) or it is lost
// during a command, the shell logs in again once, keeping its remote and
// local working directories. When the server said why it ended the session
// (an account change), the shell reports that and ends.

#include <istream>

#include "client/connection.h"

namespace sfs::client {

// Runs commands until exit/quit or end of input. An error in a command is
// reported and the shell goes on. On a terminal the status is 0; without
// one it is the status of the last command that failed (0 when none did).
// A lost connection that cannot be opened again ends the shell with that
// error's status.
int run_shell(Connection& conn, bool resume);

// Batch mode, like `sftp -b`: one command per line, blank lines and '#'
// comments skipped, each command echoed as "sfs> LINE" on stderr. Stops at
// the first failing command and returns its exit status, unless the line
// starts with '-' (then the error is reported and the batch goes on); a lost
// connection always stops it. Returns 0 when every command succeeded. With
// `json` (--json) results are printed as on the command line with --json.
int run_batch(Connection& conn, std::istream& in, bool resume, bool json = false);

}  // namespace sfs::client
