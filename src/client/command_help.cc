#include "client/command_help.h"

#include <cstdio>

#include "client/command_handlers.h"
#include "client/suggest.h"

namespace sfs::client {
namespace {

// How wide the usage column of `help` is.
constexpr int kUsageWidth = 26;

// " (alias: upload)"; on the command line only the aliases it takes ("?"
// is the shell's).
std::string aliases_text(const Command& command, Mode mode = kShell) {
  std::string text;
  const std::vector<std::string_view> aliases =
      mode == kCommandLine ? command.command_line_aliases() : command.aliases;
  for (const std::string_view alias : aliases) {
    text += (text.empty() ? " (alias: " : ", ") + std::string(alias);
  }
  return text.empty() ? text : text + ")";
}

// Appends the '\n'-separated lines of `text` to `lines`.
void add_lines(std::string_view text, std::vector<std::string>& lines) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
}

std::string flag_line(const Flag& flag) {
  std::string spelled(flag.name);
  if (!flag.short_name.empty()) {
    spelled += ", " + std::string(flag.short_name);
  }
  if (!flag.value_name.empty()) {
    spelled += " " + std::string(flag.value_name);
  }
  return "  " + spelled + "  " + flag_help(flag);
}

}  // namespace

std::string flag_help(const Flag& flag) {
  std::string text(flag.help);
  if (!flag.default_value.empty()) {
    text += " (default " + std::string(flag.default_value) + ")";
  }
  return text;
}

std::vector<std::string> help_lines(Mode mode) {
  std::vector<std::string> lines{"Commands (quote names with spaces: \"my file\" or my\\ file):"};
  for (const Command& c : command_table()) {
    if (!c.available_in(mode)) {
      continue;
    }
    const std::string usage = c.usage();
    char line[256];
    std::snprintf(line, sizeof(line), "  %-*s %.*s%s", kUsageWidth, usage.c_str(),
                  static_cast<int>(c.help.size()), c.help.data(), aliases_text(c, mode).c_str());
    lines.emplace_back(line);
  }
  if (mode == kShell || mode == kBatch) {
    lines.emplace_back("A line starting with '-' in a batch file may fail without stopping it.");
  }
  return lines;
}

std::vector<std::string> command_help_lines(const Command& command) {
  std::vector<std::string> lines{"usage: " + command.usage(),
                                 std::string(command.help) + aliases_text(command)};
  add_lines(command.details, lines);
  for (const Flag& flag : command.flags) {
    lines.push_back(flag_line(flag));
  }
  return lines;
}

std::string command_line_footer(const Command& command) {
  std::string text;
  if (!command.details.empty()) {
    text += "\n" + std::string(command.details) + "\n";
  }
  text += "\nExamples:";
  std::vector<std::string> examples;
  add_lines(command.examples, examples);
  for (const std::string& example : examples) {
    text += "\n  " + example;
  }
  return text;
}

Result<void> do_help(CommandContext& context, const Invocation& inv) {
  std::vector<std::string> lines;
  if (inv.args.empty()) {
    lines = help_lines(context.mode);
  } else if (const Command* c = find_command(inv.args[0], context.mode); c != nullptr) {
    lines = command_help_lines(*c);
  } else {
    return make_error(Errc::kBadRequest,
                      unknown_command_message(inv.args[0], context.mode, "help"));
  }
  for (const std::string& line : lines) {
    std::fprintf(context.out, "%s\n", line.c_str());
  }
  std::fflush(context.out);
  return {};
}

}  // namespace sfs::client
