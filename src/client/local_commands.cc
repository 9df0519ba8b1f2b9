// The commands that the command line runs without connecting: `sfs help`
// and `sfs trust`.
// They print what the table knows, so `sfs help put` says what `help put`
// says at the sfs> prompt, with the command line's examples.

#include <cstdio>

#include "client/command_handlers.h"
#include "client/command_help.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/suggest.h"
#include "client/trust_store.h"

namespace sfs::client {

int help_command(const Invocation& inv) {
  if (inv.args.empty()) {
    for (const std::string& line : help_lines(kCommandLine)) {
      std::printf("%s\n", line.c_str());
    }
    std::printf("Options and examples: sfs --help; one command: sfs help COMMAND\n");
    return kExitOk;
  }
  const Command* command = find_command(inv.args[0], kCommandLine);
  if (command == nullptr) {
    command = find_command(inv.args[0], kShell);  // cd, lcd ...: the shell's own
  }
  if (command == nullptr) {
    const std::string message = unknown_command_message(inv.args[0], kCommandLine, "sfs help");
    std::fprintf(stderr, "sfs: %s\n", message.c_str());
    return kExitUsage;
  }
  for (const std::string& line : command_help_lines(*command)) {
    std::printf("%s\n", line.c_str());
  }
  if (!command->examples.empty()) {
    std::printf("Examples:\n");
    std::string_view examples = command->examples;
    while (!examples.empty()) {
      const std::size_t end = examples.find('\n');
      std::printf("  %.*s\n", static_cast<int>(examples.substr(0, end).size()), examples.data());
      examples = end == std::string_view::npos ? std::string_view() : examples.substr(end + 1);
    }
  }
  return kExitOk;
}

int trust_command(const Invocation& inv) {
  const TrustStore store(TrustStore::default_path());
  const std::string& action = inv.args[0];
  if (action == "list" && inv.args.size() == 1) {
    for (const std::string& line : store.lines()) {
      std::printf("%s\n", line.c_str());
    }
    return kExitOk;
  }
  if (action != "forget" || inv.args.size() != 2) {
    std::fprintf(stderr, "sfs: usage: sfs trust list | sfs trust forget HOST[:PORT]\n");
    return kExitUsage;
  }
  auto removed = store.forget(inv.args[1]);
  if (!removed) {
    return report(removed.error());
  }
  if (*removed == 0) {
    std::fprintf(stderr, "sfs: no pin for %s in %s\n", inv.args[1].c_str(),
                 store.shown_file().c_str());
    return kExitNotFound;
  }
  std::printf("forgot %zu pin(s) for %s in %s\n", *removed, inv.args[1].c_str(),
              store.shown_file().c_str());
  return kExitOk;
}

}  // namespace sfs::client
