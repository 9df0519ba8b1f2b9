#pragma once
// The subcommands of `sfs`, made from the command table
// (client/command_table.h): one CLI11 subcommand per command available on
// the command line, with its aliases, positional arguments, flags and their
// checks, one-line help, and long help and examples after its --help.
// After parsing, the chosen command and its arguments come back in the form
// the shell's parser gives them, so one handler serves every front end.
//
//   CLI::App app{"sfs"};
//   CliCommands commands(app);
//   app.parse(argc, argv);
//   return run_chosen(commands.chosen(), commands.invocation(), conn, {resume, json});

#include <memory>
#include <vector>

#include "client/command_table.h"
#include "client/connection.h"

namespace CLI {
class App;
}

namespace sfs::client {

class CliCommands {
 public:
  // Adds the subcommands to `app`, which must outlive this object.
  explicit CliCommands(CLI::App& app);
  ~CliCommands();
  CliCommands(const CliCommands&) = delete;
  CliCommands& operator=(const CliCommands&) = delete;

  // After parsing: whether a command was given.
  bool any_chosen() const;
  // After parsing: the command given, else the default one (the menu).
  const Command& chosen() const;
  // After parsing: the chosen command's arguments and flags, value flags
  // not given set to their defaults.
  Invocation invocation() const;

 private:
  struct Bound;
  const Bound* parsed() const;

  std::vector<std::unique_ptr<Bound>> bound_;
};

struct RunOptions {
  bool resume = true;  // put/get continue interrupted transfers
  bool json = false;   // --json
};

// Runs `command` once on a logged-in connection, or the session it stands
// for (the shell, the menu). Prints an error as one "sfs: ..." line and
// returns the exit status; says goodbye to the server after a success.
int run_chosen(const Command& command, const Invocation& invocation, Connection& conn,
               const RunOptions& options);

}  // namespace sfs::client
