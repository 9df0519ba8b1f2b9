#pragma once
// Where the POSIX backend keeps a file's or directory's dead properties
// (storage/dead_props.h): one extended attribute, "user.sfs.props", holding
// the encoded record. It lives on the inode, so a rename carries it (a
// moved directory's members keep theirs), unlink drops it, and a commit
// copies the old file's record onto the new file before the rename.

#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/dead_props.h"

namespace sfs::storage {

inline constexpr char kPropsXattr[] = "user.sfs.props";

// The properties recorded on `fd` (none when it has no record). kIo for a
// damaged record or a failed read.
Result<std::vector<DeadProp>> read_props_xattr(int fd, std::string_view shown);
// Records `props` on `fd` (removes the record when empty). kTooLarge when
// the filesystem has no room for it or keeps no extended attributes.
Result<void> write_props_xattr(int fd, const std::vector<DeadProp>& props, std::string_view shown);
// Copies the record of the regular file `name` in `dir_fd` (if any) onto
// `to_fd`: what an overwriting commit keeps. Best effort: a failure leaves
// the new file without the old one's properties.
void carry_props_xattr(int dir_fd, const char* name, int to_fd);
// The properties of the member `name` of the directory `dir_fd` (a
// listing's): none when it has none, cannot be read, is neither a regular
// file nor a directory, or is a file with other hard links (the record
// belongs to the inode every name shares).
std::vector<DeadProp> read_member_props(int dir_fd, const char* name);

}  // namespace sfs::storage
