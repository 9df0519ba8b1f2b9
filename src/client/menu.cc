#include "client/menu.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <utility>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/menu_run.h"

namespace sfs::client {
namespace {

// The number typed, when it is one of 1..`count` written plainly; else 0.
std::size_t choice_number(const std::string& line, std::size_t count) {
  for (std::size_t choice = 1; choice <= count; ++choice) {
    if (line == std::to_string(choice)) {
      return choice;
    }
  }
  return 0;
}

// The menu's dialogue. Read from a script, its prompts are held and its
// small transfers gathered into a run (client/menu_run.h), as long as the
// next line is already there; before waiting for one, it runs what it
// gathered and shows everything held, so that a program that answers each
// prompt in turn sees them as on a terminal.
class MenuSession {
 public:
  MenuSession(CommandContext& context, LineInput& in, bool scripted)
      : context_(context), in_(in), scripted_(scripted), run_(context) {}

  int run(const std::vector<const Command*>& commands) {
    const std::size_t exit_choice = commands.size() + 1;
    const std::string text = menu_text(commands);
    const std::string last = std::to_string(exit_choice);
    std::string line;
    while (!lost_) {
      show(text);
      if (!ask("Choose 1-" + last + ": ", line)) {
        show("\n");
        break;
      }
      const std::size_t choice = choice_number(line, exit_choice);
      if (choice == 0) {
        show(fmt::format("Invalid choice '{}': enter a number from 1 to {}.\n", line, last));
        continue;
      }
      Invocation inv;
      if (choice == exit_choice || !ask_args(*commands[choice - 1], inv)) {
        break;
      }
      if (scripted_ && run_.add(*commands[choice - 1], inv, held_)) {
        held_.clear();
        continue;
      }
      if (!settle()) {
        break;
      }
      lost_ = show_menu_result(*commands[choice - 1], commands[choice - 1]->handler(context_, inv));
    }
    if (!lost_ && settle()) {
      context_.conn.quit();
      std::printf("Bye.\n");
    }
    return lost_.value_or(kExitOk);
  }

 private:
  void show(const std::string& text) {
    held_ += text;
    if (!scripted_) {
      std::fputs(std::exchange(held_, {}).c_str(), stdout);
      std::fflush(stdout);
    }
  }

  // Runs the gathered entries and shows them, then what is held. False
  // when the connection was lost (lost_ has the status).
  bool settle() {
    lost_ = run_.flush();
    if (lost_) {
      return false;
    }
    std::fputs(std::exchange(held_, {}).c_str(), stdout);
    std::fflush(stdout);
    return true;
  }

  bool ask(const std::string& prompt, std::string& answer) {
    show(prompt);
    if (scripted_ && !in_.ready() && !settle()) {
      return false;
    }
    return in_.next(answer);
  }

  // Asks for the arguments the menu asks for; optional ones left empty at
  // the end are not given. Returns false when input ended.
  bool ask_args(const Command& command, Invocation& inv) {
    for (const Arg& arg : command.args) {
      if (arg.menu_prompt.empty()) {
        continue;
      }
      std::string answer;
      if (!ask(std::string(arg.menu_prompt), answer)) {
        return false;
      }
      inv.args.push_back(std::move(answer));
    }
    while (!inv.args.empty() && inv.args.back().empty() &&
           !command.args[inv.args.size() - 1].required) {
      inv.args.pop_back();
    }
    add_flag_defaults(command, inv);
    return true;
  }

  CommandContext& context_;
  LineInput& in_;
  bool scripted_;
  MenuRun run_;
  std::string held_;         // shown but not printed yet (scripted)
  std::optional<int> lost_;  // the exit status once the connection is lost
};

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

int run_menu(Connection& conn, LineInput& in, bool resume, bool scripted) {
  CommandContext context{conn, kMenu};
  context.resume = resume;
  std::printf("Logged in to %s.\n", conn.server_name().c_str());
  // The menu is the gentle start; say where the full client is.
  std::printf("Tip: sfs shell gives an sfs> prompt with cd, tab completion and history.\n");
  MenuSession session(context, in, scripted);
  return session.run(menu_commands());
}

int run_menu_session(Connection& conn, bool resume) {
  LineInput in(STDIN_FILENO);
  return run_menu(conn, in, resume, ::isatty(STDIN_FILENO) == 0);
}

}  // namespace sfs::client
