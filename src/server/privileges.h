#pragma once
// Dropping root: a server started as root binds its port, loads its key,
// opens its storage, and then becomes an ordinary user for good.
//
//   if (auto ok = drop_privileges("sfs", "server_storage"); !ok) die(ok.error().message);

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"

namespace sfs::server {

// True when the process runs as root.
bool running_as_root();

// Gives everything under `storage` that root owns to `user` (symlinks are
// not followed), so the server can still use it after dropping root.
Result<void> hand_over_storage(const std::string& user, const std::filesystem::path& storage);

// Raises the soft limit on open descriptors to the hard one (each
// connection holds one; the usual soft limit, 1024, would cap the server
// far below --max-connections) and returns the limit now in force.
std::uint64_t raise_open_file_limit();

// Switches to `user`'s uid and gid, with no supplementary groups, and checks
// root cannot be regained. kInternal with the reason otherwise.
Result<void> drop_privileges(const std::string& user);

}  // namespace sfs::server
