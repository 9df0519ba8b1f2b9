#pragma once
// The two questions the shell asks the server about directories: does this
// one exist (for `cd`), and what is in it (for `ls DIR` and tab completion).
// One request each: STAT and LIST <dir>.

#include <string>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

// One request: succeeds when `dir` (normalized, "" for the top) is a
// directory. kNotFound when there is nothing there, kBadPath ("not a
// directory") when it is a file; network errors as they come.
Result<void> check_remote_dir(Connection& conn, const std::string& dir);

// The entries of `dir` (normalized, "" for the top).
Result<std::vector<protocol::Entry>> list_remote_dir(Connection& conn, const std::string& dir);

}  // namespace sfs::client
