#include "client/menu.h"

#include <cstdio>
#include <iostream>

#include "client/commands.h"
#include "client/exit_codes.h"

namespace sfs::client {
namespace {

bool ask(std::istream& in, const std::string& prompt, std::string& answer) {
  std::printf("%s", prompt.c_str());
  std::fflush(stdout);
  return static_cast<bool>(std::getline(in, answer));
}

// The number typed, when it is one of 1..`count` written plainly; else 0.
std::size_t choice_number(const std::string& line, std::size_t count) {
  for (std::size_t choice = 1; choice <= count; ++choice) {
    if (line == std::to_string(choice)) {
      return choice;
    }
  }
  return 0;
}

// Asks for the arguments the menu asks for; optional ones left empty at the
// end are not given. Returns false when input ended.
bool ask_args(std::istream& in, const Command& command, Invocation& inv) {
  for (const Arg& arg : command.args) {
    if (arg.menu_prompt.empty()) {
      continue;
    }
    std::string answer;
    if (!ask(in, std::string(arg.menu_prompt), answer)) {
      return false;
    }
    inv.args.push_back(std::move(answer));
  }
  while (!inv.args.empty() && inv.args.back().empty() &&
         !command.args[inv.args.size() - 1].required) {
    inv.args.pop_back();
  }
  return true;
}

// Runs one menu entry into `result`. Returns false when input ended.
bool run_entry(CommandContext& context, std::istream& in, const Command& command,
               Result<void>& result) {
  Invocation inv;
  if (!ask_args(in, command, inv)) {
    return false;
  }
  add_flag_defaults(command, inv);
  result = command.handler(context, inv);
  if (command.menu.ends_line) {
    std::printf("\n");
  }
  return true;
}

}  // namespace

std::vector<const Command*> menu_commands() {
  std::vector<const Command*> commands;
  for (const Command& c : command_table()) {
    if (c.available_in(kMenu)) {
      commands.push_back(&c);
    }
  }
  return commands;
}

std::string menu_text(const std::vector<const Command*>& commands) {
  std::string text = "\n";
  for (std::size_t i = 0; i < commands.size(); ++i) {
    text += "  " + std::to_string(i + 1) + ") " + std::string(commands[i]->menu.label) + "\n";
  }
  return text + "  " + std::to_string(commands.size() + 1) + ") Exit\n";
}

int run_menu(Connection& conn, std::istream& in, bool resume) {
  const std::vector<const Command*> commands = menu_commands();
  const std::size_t exit_choice = commands.size() + 1;
  const std::string text = menu_text(commands);
  const std::string last = std::to_string(exit_choice);
  CommandContext context{conn, kMenu};
  context.resume = resume;
  std::printf("Logged in to %s.\n", conn.server_name().c_str());
  // The menu is the gentle start; say where the full client is.
  std::printf("Tip: sfs shell gives an sfs> prompt with cd, tab completion and history.\n");
  std::string line;
  while (true) {
    std::printf("%s", text.c_str());
    if (!ask(in, "Choose 1-" + last + ": ", line)) {
      std::printf("\n");
      break;
    }
    const std::size_t choice = choice_number(line, exit_choice);
    if (choice == 0) {
      std::printf("Invalid choice '%s': enter a number from 1 to %s.\n", line.c_str(),
                  last.c_str());
      continue;
    }
    Result<void> result;
    if (choice == exit_choice || !run_entry(context, in, *commands[choice - 1], result)) {
      break;
    }
    if (result) {
      std::printf("Done.\n");
    } else if (const int status = report(result.error());
               result.error().code == Errc::kNetwork || result.error().code == Errc::kProtocol) {
      return status;
    }
  }
  conn.quit();
  std::printf("Bye.\n");
  return kExitOk;
}

int run_menu_session(Connection& conn, bool resume) { return run_menu(conn, std::cin, resume); }

}  // namespace sfs::client
