#pragma once
// The interactive menu of the original design: log in once, then a
// numbered menu (Upload, Download, View, Delete, List, Exit) until Exit.
// Reads choices from `in`, so it can be driven by a terminal or a pipe.

#include <istream>

#include "client/connection.h"

namespace sfs::client {

// Returns the exit status: 0 after Exit or end of input, the network error's
// status when the connection is lost.
int run_menu(Connection& conn, std::istream& in);

}  // namespace sfs::client
