#pragma once
// Where the client gets the password: $SFS_PASSWORD, else --password-file,
// else a prompt on the terminal without echo.

#include <string>

#include "base/result.h"

namespace sfs::client {

Result<std::string> obtain_password(const std::string& password_file, const std::string& prompt);

}  // namespace sfs::client
