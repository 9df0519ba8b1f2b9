// UserTree's dead properties (storage/props_xattr.h keeps them in an
// extended attribute of the file or directory itself).

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "storage/beneath.h"
#include "storage/links.h"
#include "storage/props_xattr.h"
#include "storage/user_tree.h"

namespace sfs::storage {

Result<UniqueFd> UserTree::open_resource(std::string_view relative) const {
  if (!relative.empty()) {
    SFS_RETURN_IF_ERROR(check_relative(relative));
  }
  SFS_ASSIGN_OR_RETURN(
      auto fd, open_beneath(dir_->get(), relative.empty() ? "." : relative, O_RDONLY | O_NONBLOCK));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return errno_error(errno, relative);
  }
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return make_error(Errc::kBadPath,
                      "path refused (not a regular file or directory): " + std::string(relative));
  }
  // The attribute belongs to the inode every name of a hard-linked file
  // shares: never read or write it through a planted link.
  SFS_RETURN_IF_ERROR(check_single_link(st, relative));
  return fd;
}

Result<std::vector<DeadProp>> UserTree::dead_props(std::string_view relative) const {
  SFS_ASSIGN_OR_RETURN(auto fd, open_resource(relative));
  return read_props_xattr(fd.get(), relative);
}

Result<void> UserTree::patch_dead_props(std::string_view relative,
                                        const std::vector<PropChange>& changes) const {
  SFS_ASSIGN_OR_RETURN(auto fd, open_resource(relative));
  // Two PROPPATCHes of one resource must not lose each other's changes:
  // the read-change-write holds the inode's lock.
  if (::flock(fd.get(), LOCK_EX) != 0) {
    return errno_error(errno, relative);
  }
  SFS_ASSIGN_OR_RETURN(auto props, read_props_xattr(fd.get(), relative));
  SFS_ASSIGN_OR_RETURN(props, apply_prop_changes(std::move(props), changes));
  return write_props_xattr(fd.get(), props, relative);
}

}  // namespace sfs::storage
