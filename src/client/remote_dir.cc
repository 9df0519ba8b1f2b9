#include "client/remote_dir.h"

namespace sfs::client {

Result<void> check_remote_dir(Connection& conn, const std::string& dir) {
  if (dir.empty()) {
    return {};  // the top always exists
  }
  auto entry = conn.stat(dir);
  if (!entry) {
    if (entry.error().code == Errc::kNotFound) {
      return make_error(Errc::kNotFound, "no such directory: /" + dir);
    }
    return entry.error();
  }
  if (entry->type != 'd') {
    return make_error(Errc::kBadPath, "not a directory: /" + dir);
  }
  return {};
}

Result<std::vector<protocol::Entry>> list_remote_dir(Connection& conn, const std::string& dir) {
  return conn.list(dir);
}

}  // namespace sfs::client
