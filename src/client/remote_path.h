#pragma once
// The shell's remote working directory: joining a typed path to it and
// normalizing the result, on the client, before the server applies its own
// path rules (docs/protocol.md, "Remote paths"). The top of the user's tree
// is the empty string and is shown as "/".
//
//   resolve_remote("docs", "../a.txt")   -> "a.txt"
//   resolve_remote("docs", "/x/./y/")    -> "x/y"
//   resolve_remote("", "..")             -> kBadPath
//   display_remote("docs/2026")          -> "/docs/2026"
//   names_folder("newdir/")              -> true

#include <string>
#include <string_view>

#include "base/result.h"

namespace sfs::client {

// Joins `path` to `cwd` (a normalized directory, "" for the top) and
// normalizes: a leading '/' starts from the top, empty and "." components
// are dropped, ".." removes the previous one. Returns the normalized
// relative path ("" for the top). Fails with kBadPath when ".." would leave
// the top.
Result<std::string> resolve_remote(std::string_view cwd, std::string_view path);

// Whether a typed path names a folder to put things into: it ends in '/'
// (`put a.txt newdir/`), or its last component is "." or "..", or it is empty.
bool names_folder(std::string_view typed);

// The absolute form shown by `pwd`: "/" + dir.
std::string display_remote(std::string_view dir);

// The directory part of `path` up to and including its last '/' ("" when
// there is none): "a/b/c" -> "a/b/", "c" -> "".
std::string_view dir_part(std::string_view path);

}  // namespace sfs::client
