#include "client/remove_tree.h"

#include "client/tree_transfer.h"

namespace sfs::client {
namespace {

// As deep as the server lets folders nest.
constexpr int kMaxDepth = 64;

Result<void> remove_folder(Connection& conn, const std::string& dir, int depth,
                           RemoveCounts& counts) {
  if (depth > kMaxDepth) {
    return make_error(Errc::kTooLarge, "folder nested too deep: " + dir);
  }
  SFS_ASSIGN_OR_RETURN(auto entries, conn.list(dir));
  for (const protocol::Entry& e : entries) {
    SFS_RETURN_IF_ERROR(check_remote_name(e.name));
    const std::string path = dir + "/" + e.name;
    if (e.type == 'd') {
      SFS_RETURN_IF_ERROR(remove_folder(conn, path, depth + 1, counts));
    } else {
      SFS_RETURN_IF_ERROR(conn.remove(path));
      ++counts.files;
    }
  }
  SFS_RETURN_IF_ERROR(conn.remove_dir(dir));
  ++counts.folders;
  return {};
}

}  // namespace

Result<void> remove_tree(Connection& conn, const std::string& remote, RemoveCounts& counts) {
  SFS_ASSIGN_OR_RETURN(auto entry, conn.stat(remote));
  if (entry.type == 'd') {
    return remove_folder(conn, remote, 1, counts);
  }
  SFS_RETURN_IF_ERROR(conn.remove(remote));
  ++counts.files;
  return {};
}

}  // namespace sfs::client
