#include "client/remote_dir.h"

namespace sfs::client {

Result<void> check_remote_dir(Connection& conn, const std::string& dir) {
  if (dir.empty()) {
    return {};  // the top always exists
  }
  // Protocol version 1 has no STAT: a zero-byte VIEW opens the path and
  // answers ISDIR for a directory, OK for a file and NOTFOUND for nothing,
  // without moving any data.
  auto viewed = conn.view(dir, 0, [](const char*, std::size_t) {});
  if (viewed) {
    return make_error(Errc::kBadPath, "not a directory: /" + dir);
  }
  if (viewed.error().code == Errc::kIsDir) {
    return {};
  }
  if (viewed.error().code == Errc::kNotFound) {
    return make_error(Errc::kNotFound, "no such directory: /" + dir);
  }
  return viewed.error();
}

Result<std::vector<protocol::Entry>> list_remote_dir(Connection& conn, const std::string& dir) {
  if (!dir.empty()) {
    return make_error(Errc::kBadRequest,
                      "this server lists only the top directory (ls in /" + dir + ")");
  }
  return conn.list();
}

}  // namespace sfs::client
