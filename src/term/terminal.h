#pragma once
// Asking the person at the terminal: one line from /dev/tty, with echo on
// or off (for passwords), even when stdin and stdout are redirected.

#include <string>

#include "base/result.h"

namespace sfs::term {

// Reads one line (without its newline). kLocal when there is no terminal,
// or when it ends (Ctrl-D) before anything was typed.
Result<std::string> read_from_terminal(const std::string& prompt, bool echo);

}  // namespace sfs::term
