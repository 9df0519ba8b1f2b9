#pragma once
// Where the client gets the password: $SFS_PASSWORD, else --password-file,
// else a prompt on the terminal without echo.

#include <string>

#include "base/result.h"

namespace sfs::client {

// kLocal with the reason when the file cannot be read ("cannot read password
// file F: No such file or directory", "password file F is empty") or there
// is no terminal to ask on.
Result<std::string> obtain_password(const std::string& password_file, const std::string& prompt);

// Whether obtain_password asks on the terminal (no $SFS_PASSWORD, no file).
bool password_is_typed(const std::string& password_file);

}  // namespace sfs::client
