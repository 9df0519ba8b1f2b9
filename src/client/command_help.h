#pragma once
// Help texts made from the command table: the shell's `help` and `help CMD`,
// and the part of `sfs CMD --help` that follows CLI11's own listing.
//
//   help_lines(kShell)         // "Commands (...):", "  put [-r] LOCAL [REMOTE]   Upload ...", ...
//   command_help_lines(*find_command("rm", kShell))
//                              // {"usage: rm REMOTE", "Delete REMOTE (alias: delete)"}

#include <string>
#include <vector>

#include "client/command_table.h"

namespace sfs::client {

// One line per command available in `mode`: its usage and one-line help.
std::vector<std::string> help_lines(Mode mode);

// One command: usage, one-line help with its aliases, long help, flags.
std::vector<std::string> command_help_lines(const Command& command);

// The end of `sfs CMD --help`: the long help, then "Examples:" and the
// command's examples.
std::string command_line_footer(const Command& command);

// A flag's help with its default value: "How many bytes (default 1024)".
std::string flag_help(const Flag& flag);

}  // namespace sfs::client
