#pragma once
// The client's commands in ONE table (command_table.cc): for each its name,
// aliases, arguments, flags, one-line and long help, command-line examples,
// where it is available (command line, shell, batch file, menu) and its
// handler. Everything else is generated from it:
//   - the CLI11 subcommands of `sfs` (client/cli_commands.h),
//   - the shell's and batch mode's dispatch (client/dispatch.h) and their
//     `help` and `help CMD` (client/command_help.h), and the shell's tab
//     completion (client/line_editor.h),
//   - the numbered menu (client/menu.h),
//   - the bash and zsh completion scripts, printed by `sfs --completion SHELL`
//     (client/completion_script.h; dist/completion holds them, a test
//     compares),
// and a unit test checks the COMMANDS sections of docs/man/sfs.1 against it.
// Adding a command is adding one entry to the table (and to the man page).
//
//   const Command* put = find_command("upload", kShell);   // the put entry
//   put->usage()   // "put [-r] [--force] [-p] [--no-times] LOCAL [REMOTE]"

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "client/connection.h"

namespace sfs::client {

// Where a command runs; a command's `modes` is a bit set of these.
enum Mode : unsigned {
  kCommandLine = 1u << 0,  // `sfs CMD ...`
  kShell = 1u << 1,        // the sfs> prompt of `sfs shell`
  kBatch = 1u << 2,        // a line of `sfs -b FILE`
  kMenu = 1u << 3,         // an entry of the numbered menu
};
using Modes = unsigned;

// What a command's run needs and keeps between commands of a shell or batch.
struct CommandContext {
  Connection& conn;
  Mode mode = kCommandLine;
  std::FILE* out = stdout;
  bool resume = true;  // put/get continue interrupted transfers
  bool json = false;   // --json: results as JSON (on the command line)
  std::string cwd;     // the shell's remote working directory; "" is the top
  bool quit = false;   // set by exit/quit

  // Whether remote paths are relative to `cwd` (the shell and batch mode);
  // elsewhere they go to the server as typed.
  bool has_working_dir() const { return mode == kShell || mode == kBatch; }
};

// What an argument names, so completion knows where to look.
enum class ArgKind { kNone, kRemote, kRemoteDir, kLocal, kLocalDir, kCommand };

struct Arg {
  std::string_view name;  // "LOCAL", as usage lines and --help show it
  ArgKind kind = ArgKind::kNone;
  bool required = true;   // optional ones come last
  std::string_view help;  // for `sfs CMD --help`
  // The menu asks for the argument with this prompt; empty: not asked (an
  // optional argument then takes its default).
  std::string_view menu_prompt = {};
  // May be given several times (`rm REMOTE...`); the handler tells the
  // operands apart (`put LOCAL... [REMOTE]`: the last is REMOTE when there
  // are several).
  bool repeats = false;
};

struct Flag {
  std::string_view name;        // "--bytes"
  std::string_view short_name;  // "-n", or empty
  std::string_view value_name;  // "N" when the flag takes a value, else empty
  std::string_view help;
  std::string_view default_value = {};  // a value flag's value when not given
  // Checks a flag's value; returns what is wrong with it, or empty when it is fine.
  std::string (*check)(std::string_view value) = nullptr;
  // A value flag that may be given several times (`--exclude A --exclude
  // B`); Invocation::flag_values has them all.
  bool repeats = false;
};

// A command's words after its name, with the flags taken out.
struct Invocation {
  std::vector<std::string> args;
  // Beside each argument: the glob pattern it stands for (client/globs.h),
  // or empty. In the shell and batch mode the words with unquoted glob
  // characters; on the command line every argument with one (the shell
  // that ran sfs expanded the local ones already).
  std::vector<std::string> globs;
  std::vector<std::pair<std::string_view, std::string>> flags;  // long name, value

  // The value of flag `name` (its long name), or nullptr when not given
  // (the first, for a flag that repeats).
  const std::string* flag(std::string_view name) const;
  // Every value of flag `name`, in the order given.
  std::vector<std::string> flag_values(std::string_view name) const;
  // args[i], or `fallback` when there are fewer arguments.
  std::string arg_or(std::size_t i, const std::string& fallback) const;
  // The pattern of args[i], or empty.
  const std::string& glob(std::size_t i) const;
};

// Runs one command; errors are returned, not printed.
using Handler = Result<void> (*)(CommandContext& context, const Invocation& invocation);
// Runs a session of its own (the shell, the menu) on a logged-in connection:
// reports its errors itself and returns the exit status.
using SessionRunner = int (*)(Connection& conn, bool resume);
// Runs a command that needs no server (`sfs help`, `sfs trust forget`) on
// the command line: reports its errors itself and returns the exit status.
using LocalRunner = int (*)(const Invocation& invocation);

struct MenuItem {
  std::string_view label;  // "Upload"; empty: not in the menu
  bool ends_line = false;  // the command prints raw bytes: the menu ends their line
};

struct Command {
  std::string_view name;
  std::vector<std::string_view> aliases;
  std::vector<Arg> args;
  std::vector<Flag> flags;
  std::string_view help;      // one line
  std::string_view details;   // long help, '\n'-separated lines; may be empty
  std::string_view examples;  // `sfs ...` lines for `sfs CMD --help`
  Modes modes = 0;
  MenuItem menu = {};
  Handler handler = nullptr;        // exactly one of these two
  SessionRunner session = nullptr;  // (command line only)
  // Words other tools use for this command ("rename" for mv): not accepted,
  // but `did you mean` answers them (client/suggest.h).
  std::vector<std::string_view> hints = {};
  // When set, the command line runs this instead, without connecting.
  LocalRunner local = nullptr;

  bool available_in(Mode mode) const { return (modes & mode) != 0; }
  bool named(std::string_view word) const;  // its name or an alias
  // The aliases `sfs ALIAS` takes: those that are words ("?" is the
  // shell's; a shell would expand it as a pattern).
  std::vector<std::string_view> command_line_aliases() const;
  // "put [-r] [--force] LOCAL [REMOTE]": flags without a value, the arguments, then
  // flags with a value.
  std::string usage() const;
  // What argument number `position` (from 0) names; past the last argument,
  // what the last one names.
  ArgKind arg_kind(std::size_t position) const;
  std::size_t required_args() const;
  // Whether an argument may be given several times.
  bool has_repeating_arg() const;
};

// Every command, in the order help texts, menus and completions list them.
const std::vector<Command>& command_table();
// The command available in `mode` called `name` or one of its aliases;
// nullptr when none.
const Command* find_command(std::string_view name, Mode mode);

// Gives each value flag of `command` that `invocation` lacks its default
// value, so that handlers find every such flag set.
void add_flag_defaults(const Command& command, Invocation& invocation);

}  // namespace sfs::client
