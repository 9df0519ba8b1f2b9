#pragma once
// The interactive menu of the original design: log in once, then a numbered
// menu until Exit. Its entries are the commands that the command table
// (client/command_table.h) puts in the menu, in the table's order (Upload,
// Download, View, Delete, List), then Exit; each asks for the command's
// arguments with the table's prompts. Reads choices from `in`, so it can be
// driven by a terminal, a file or a pipe.

#include <string>
#include <vector>

#include "client/command_table.h"
#include "client/connection.h"
#include "client/line_input.h"

namespace sfs::client {

// Returns the exit status: 0 after Exit or end of input, the network error's
// status when the connection is lost. put/get resume unless `resume` is off.
// `scripted` (input from a file or a pipe): consecutive small transfers go
// pipelined, shown as one at a time (client/menu_run.h).
int run_menu(Connection& conn, LineInput& in, bool resume = true, bool scripted = false);

// run_menu on standard input, scripted unless it is a terminal: how `sfs
// menu` (and `sfs` alone) runs it.
int run_menu_session(Connection& conn, bool resume);

// The commands of the menu, in the order it numbers them (Exit follows).
std::vector<const Command*> menu_commands();

// The menu as printed before each choice: "\n  1) Upload\n ... 6) Exit\n".
std::string menu_text(const std::vector<const Command*>& commands);

}  // namespace sfs::client
