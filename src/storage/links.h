#pragma once
// Hard links in a user's tree. sfs never makes one, and a user cannot make
// one over the protocol, but anyone who can write into the storage on the
// server's host can: a link to a file elsewhere on the same filesystem
// (another user's file, a server file) would let the user read it, or write
// it through a resumed upload. So a regular file with more than one name is
// refused for everything that reads or writes its content, or replaces it.
// Removing such a name (rm) stays allowed: it drops this name only, and the
// other names keep the data.

#include <sys/stat.h>

#include <string_view>

#include "base/result.h"

namespace sfs::storage {

// kBadPath "path refused (file has other hard links): <shown>" when `st` is
// a regular file with more than one name; ok otherwise.
Result<void> check_single_link(const struct stat& st, std::string_view shown);

// True for a regular file with more than one name.
bool has_other_links(const struct stat& st);

// True when the server made the file itself: owned by the server's
// effective user and named once. A partial upload file that is not is
// planted, and is never truncated, written or hashed.
bool is_own_single_file(const struct stat& st);

}  // namespace sfs::storage
