#pragma once
// The commands of the interactive shell and of batch mode, in ONE table:
// name, aliases, usage, one-line help, argument count, flags, what each
// argument names (for tab completion) and the handler. Adding a command is
// adding one entry in command_table.cc.
//
//   ShellState state{conn};
//   LineOutcome o = run_line(state, "put \"my file.txt\" notes.txt");
//   // o.status: 0, or the exit status of the error that was reported

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

// What a shell or a batch run keeps between commands.
struct ShellState {
  Connection& conn;
  std::string cwd;     // remote working directory, normalized; "" is the top
  bool resume = true;  // put/get continue interrupted transfers
  std::FILE* out = stdout;
  bool quit = false;  // set by exit/quit
};

// What an argument names, so completion knows where to look.
enum class ArgKind { kNone, kRemote, kRemoteDir, kLocal, kLocalDir, kCommand };

struct Flag {
  std::string_view name;        // "--bytes"
  std::string_view short_name;  // "-n", or empty
  std::string_view value_name;  // "N" when the flag takes a value, else empty
  std::string_view help;
  // Checks a flag's value; returns what is wrong with it, or empty when it is fine.
  std::string (*check)(std::string_view value) = nullptr;
};

// A command's words after its name, with the flags taken out.
struct Invocation {
  std::vector<std::string> args;
  std::vector<std::pair<std::string_view, std::string>> flags;  // long name, value

  // The value of flag `name` (its long name), or nullptr when not given.
  const std::string* flag(std::string_view name) const;
  // args[i], or `fallback` when there are fewer arguments.
  std::string arg_or(std::size_t i, std::string fallback) const;
};

using Handler = Result<void> (*)(ShellState& state, const Invocation& invocation);

struct Command {
  std::string_view name;
  std::vector<std::string_view> aliases;
  std::string_view usage;  // "put LOCAL [REMOTE]"
  std::string_view help;   // one line
  std::size_t min_args = 0;
  std::size_t max_args = 0;
  std::vector<ArgKind> arg_kinds;  // by position; the last one repeats
  std::vector<Flag> flags;
  Handler handler = nullptr;

  ArgKind arg_kind(std::size_t position) const;
};

// Every command, in the order `help` lists them.
const std::vector<Command>& command_table();
// The command called `name` or one of its aliases; nullptr when none.
const Command* find_command(std::string_view name);

// Takes the flags out of `words` (the words after the command's name) and
// checks the argument count. "--" ends the flags. Fails with kBadRequest.
Result<Invocation> parse_invocation(const Command& command, const std::vector<std::string>& words);

struct LineOutcome {
  int status = 0;                // 0, or the exit status of the reported error
  bool connection_lost = false;  // the session cannot go on
};

// Runs one command line: splits it into words, finds the command, checks
// its arguments and runs it. Blank lines and lines starting with '#' do
// nothing. An error is printed as one "sfs: ..." line on stderr; a bad
// command line gets exit status 2.
LineOutcome run_line(ShellState& state, std::string_view line);

}  // namespace sfs::client
