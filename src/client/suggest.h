#pragma once
// "Did you mean" for a command name nobody defined: the closest command of
// the table (client/command_table.h) by name, alias or the words other tools
// use for it (a command's `hints`: "rename" for mv), so a typo or a habit
// from sftp or rclone gets an answer instead of a parser error.
//
//   unknown_command_message("rename", kCommandLine)
//   // "unknown command 'rename'; did you mean 'mv'?"

#include <string>
#include <string_view>

#include "client/command_table.h"

namespace sfs::client {

// The name of the command available in `mode` that `word` most likely
// meant, or empty when none is close.
std::string suggest_command(std::string_view word, Mode mode);

// "unknown command 'WORD'; did you mean 'NAME'?", or without a close one
// "unknown command 'WORD' (try HOW_TO_LIST)".
std::string unknown_command_message(std::string_view word, Mode mode, std::string_view how_to_list);

}  // namespace sfs::client
