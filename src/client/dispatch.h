#pragma once
// The shell's and batch mode's dispatch: one command line is split into
// words (client/words.h), its command looked up in the command table
// (client/command_table.h), its flags and argument count checked, and its
// handler run.
//
//   CommandContext context{conn, kShell};
//   LineOutcome o = run_line(context, "put \"my file.txt\" notes.txt");
//   // o.status: 0, or the exit status of the error that was reported

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/command_table.h"

namespace sfs::client {

// Takes the flags out of `words` (the words after the command's name), gives
// the missing value flags their defaults and checks the argument count. "--"
// ends the flags. `globs`, when given, holds beside each word the pattern it
// stands for (split_command_line); the arguments keep theirs. Fails with
// kBadRequest and a one-line message that names the command and ends with
// its usage.
Result<Invocation> parse_invocation(const Command& command, const std::vector<std::string>& words,
                                    const std::vector<std::string>& globs = {});

struct LineOutcome {
  int status = 0;                // 0, or the exit status of the reported error
  bool connection_lost = false;  // the session cannot go on
};

// Runs one command line among the commands available in `context.mode`.
// Blank lines and comments (from an unquoted '#' that starts a word) do
// nothing. An error is printed as
// one "sfs: ..." line on stderr; a bad command line gets exit status 2.
LineOutcome run_line(CommandContext& context, std::string_view line);

}  // namespace sfs::client
