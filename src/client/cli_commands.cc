#include "client/cli_commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <deque>

#include "client/command_help.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/globs.h"

namespace sfs::client {
namespace {

// What `sfs` runs when no command is given.
constexpr std::string_view kDefaultCommand = "menu";

std::string spellings(const Flag& flag) {
  std::string names(flag.name);
  return flag.short_name.empty() ? names : names + "," + std::string(flag.short_name);
}

}  // namespace

// One subcommand and where CLI11 puts what it parsed.
struct CliCommands::Bound {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  std::deque<std::string> args;  // one per argument (a deque: CLI11 keeps pointers)
  std::vector<CLI::Option*> arg_options;
  std::vector<std::string> operands;              // all the arguments, when one repeats
  std::deque<std::string> values;                 // one per flag: a value flag's value
  std::deque<std::vector<std::string>> repeated;  // one per flag: a repeating flag's values
  std::deque<bool> switches;                      // one per flag: a flag without a value was given
  std::vector<CLI::Option*> flag_options;

  void bind_args() {
    if (command->has_repeating_arg()) {
      bind_operands();
      return;
    }
    for (const Arg& arg : command->args) {
      std::string& target = args.emplace_back();
      CLI::Option* option = app->add_option(std::string(arg.name), target, std::string(arg.help));
      option->required(arg.required);
      arg_options.push_back(option);
    }
  }

  // `put LOCAL... [REMOTE]`: CLI11 would give every word to the first
  // positional, so all of them go to one list, named after the repeating
  // argument, that the handler splits.
  void bind_operands() {
    std::string name;
    std::string help;
    for (const Arg& arg : command->args) {
      name = name.empty() && arg.repeats ? std::string(arg.name) : name;
      help += (help.empty() ? "" : "; ") + std::string(arg.name) + ": " + std::string(arg.help);
    }
    CLI::Option* option = app->add_option(name, operands, help);
    option->type_name("");
    option->required(command->required_args() > 0);
    option->expected(static_cast<int>(command->required_args()),
                     CLI::detail::expected_max_vector_size);
    arg_options.push_back(option);
  }

  void bind_flags() {
    for (const Flag& flag : command->flags) {
      std::string& value = values.emplace_back();
      bool& given = switches.emplace_back(false);
      std::vector<std::string>& all = repeated.emplace_back();
      if (flag.value_name.empty()) {
        flag_options.push_back(app->add_flag(spellings(flag), given, std::string(flag.help)));
        continue;
      }
      CLI::Option* option = flag.repeats
                                ? app->add_option(spellings(flag), all, std::string(flag.help))
                                : app->add_option(spellings(flag), value, std::string(flag.help));
      option->type_name(std::string(flag.value_name));
      option->default_str(std::string(flag.default_value));
      if (flag.check != nullptr) {
        option->check([check = flag.check](const std::string& text) { return check(text); });
      }
      flag_options.push_back(option);
    }
  }
};

CliCommands::CliCommands(CLI::App& app) {
  for (const Command& command : command_table()) {
    if (!command.available_in(kCommandLine)) {
      continue;
    }
    auto bound = std::make_unique<Bound>();
    bound->command = &command;
    bound->app = app.add_subcommand(std::string(command.name), std::string(command.help));
    for (const std::string_view alias : command.command_line_aliases()) {
      bound->app->alias(std::string(alias));
    }
    bound->app->footer(command_line_footer(command));
    // A command with a flag -h (ls -h: human sizes) keeps only --help.
    if (std::any_of(command.flags.begin(), command.flags.end(),
                    [](const Flag& f) { return f.short_name == "-h"; })) {
      bound->app->set_help_flag("--help", "Print this help message and exit");
    }
    bound->bind_args();
    bound->bind_flags();
    bound_.push_back(std::move(bound));
  }
}

CliCommands::~CliCommands() = default;

const CliCommands::Bound* CliCommands::parsed() const {
  for (const auto& bound : bound_) {
    if (bound->app->parsed()) {
      return bound.get();
    }
  }
  return nullptr;
}

bool CliCommands::any_chosen() const { return parsed() != nullptr; }

const Command& CliCommands::chosen() const {
  const Bound* bound = parsed();
  return bound != nullptr ? *bound->command : *find_command(kDefaultCommand, kCommandLine);
}

Invocation CliCommands::invocation() const {
  Invocation inv;
  const Bound* bound = parsed();
  if (bound == nullptr) {
    return inv;
  }
  if (bound->command->has_repeating_arg()) {
    inv.args = bound->operands;
  }
  for (std::size_t i = 0; i < bound->args.size(); ++i) {
    if (bound->arg_options[i]->count() > 0) {
      inv.args.push_back(bound->args[i]);
    }
  }
  // The shell that ran sfs expanded its own globs: what still holds a glob
  // character was quoted for the server's side (`sfs get '*.txt'`).
  for (const std::string& arg : inv.args) {
    inv.globs.push_back(has_glob(arg) ? arg : std::string());
  }
  const std::vector<Flag>& flags = bound->command->flags;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i].repeats) {
      for (const std::string& value : bound->repeated[i]) {
        inv.flags.emplace_back(flags[i].name, value);
      }
    } else if (flags[i].value_name.empty() ? bound->switches[i]
                                           : bound->flag_options[i]->count() > 0) {
      inv.flags.emplace_back(flags[i].name, flags[i].value_name.empty() ? "" : bound->values[i]);
    }
  }
  add_flag_defaults(*bound->command, inv);
  return inv;
}

int run_chosen(const Command& command, const Invocation& invocation, Connection& conn,
               const RunOptions& options) {
  if (command.session != nullptr) {
    return command.session(conn, options.resume);
  }
  CommandContext context{conn, kCommandLine};
  context.resume = options.resume;
  context.json = options.json;
  if (auto result = command.handler(context, invocation); !result) {
    return report(result.error());
  }
  conn.quit();
  return kExitOk;
}

}  // namespace sfs::client
