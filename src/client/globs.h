#pragma once
// Glob patterns (*, ?, [...]) as the shell and batch mode expand them, as sh
// does: local ones against local directories (glob(3)), remote ones against
// the server's listings, one LIST per folder the pattern passes through. A
// '*' or '?' does not match a leading '.', as in sh. A pattern comes from
// split_command_line (client/words.h): characters that were quoted are
// escaped with a backslash in it.
//
//   expand_local("*.txt")               -> {"a.txt", "b.txt"}
//   expand_remote(conn, "docs", "*.md") -> {"docs/x.md", "docs/y.md"}
//   expand_remote(conn, "", "/*/a.txt") -> {"docs/a.txt", "old/a.txt"}

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

// A bound on what one pattern may expand to.
inline constexpr std::size_t kMaxGlobMatches = 100'000;

// Whether `pattern` has a '*', '?' or '[' that no backslash escapes.
bool has_glob(std::string_view pattern);

// `pattern` with its escaping backslashes removed: the name it spells.
std::string unescape_glob(std::string_view pattern);

// The local paths that `pattern` matches, sorted. Fails with kNotFound
// ("nothing matches PATTERN") when none does, kTooLarge past kMaxGlobMatches.
Result<std::vector<std::string>> expand_local(const std::string& pattern);

// The remote paths that `pattern` matches, joined to the working directory
// `cwd` and normalized as resolve_remote (client/remote_path.h) does, sorted.
// Fails with kNotFound when none does, kBadPath when '..' leaves the top,
// kProtocol when a listing holds an unsafe name, and with network errors.
Result<std::vector<std::string>> expand_remote(Connection& conn, std::string_view cwd,
                                               const std::string& pattern);

}  // namespace sfs::client
