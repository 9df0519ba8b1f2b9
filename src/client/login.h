#pragma once
// Logging in with a password, as ssh does: a password typed at the prompt
// may be typed again after a typo (up to kLoginTries tries in all, the
// number the server allows on one connection); one from $SFS_PASSWORD or
// --password-file is tried once, since it would fail the same way again.
//
//   SFS_RETURN_IF_ERROR(log_in(*conn, "alice", options.password_file));

#include <string>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

inline constexpr int kLoginTries = 3;

// Obtains the password (client/password.h) and logs in on `conn`. Fails as
// Connection::login does after the last try, or as obtain_password does.
Result<void> log_in(Connection& conn, const std::string& user, const std::string& password_file);

}  // namespace sfs::client
