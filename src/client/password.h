#pragma once
// Where the client gets the password: $SFS_PASSWORD, else --password-file,
// else a prompt on the terminal without echo.

#include <string>

#include "base/result.h"

namespace sfs::client {

Result<std::string> obtain_password(const std::string& password_file, const std::string& prompt);

// Reads one line from the terminal (/dev/tty), with echo on or off.
// kLocal when there is no terminal.
Result<std::string> read_from_terminal(const std::string& prompt, bool echo);

}  // namespace sfs::client
