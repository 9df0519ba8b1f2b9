#include "client/dispatch.h"

#include <algorithm>
#include <cstdio>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/words.h"

namespace sfs::client {
namespace {

std::string usage_note(const Command& command) { return " (usage: " + command.usage() + ")"; }

Error usage_error(const Command& command, const std::string& problem) {
  return make_error(Errc::kBadRequest, std::string(command.name) + ": " + problem);
}

// Takes the flag spelled by words[i] (and its value, advancing i) into `inv`.
Result<void> take_flag(const Command& command, const std::vector<std::string>& words,
                       std::size_t& i, Invocation& inv) {
  const std::string& word = words[i];
  const std::size_t equals = word.find('=');
  const std::string spelled = word.substr(0, equals);
  auto flag = std::find_if(command.flags.begin(), command.flags.end(), [&](const Flag& f) {
    return f.name == spelled || (!f.short_name.empty() && f.short_name == spelled);
  });
  if (flag == command.flags.end()) {
    return usage_error(command, "unknown option '" + spelled + "'" + usage_note(command));
  }
  std::string value;
  if (equals != std::string::npos) {
    value = word.substr(equals + 1);
  } else if (!flag->value_name.empty()) {
    if (++i == words.size()) {
      return usage_error(command, spelled + " needs a value" + usage_note(command));
    }
    value = words[i];
  }
  if (flag->check != nullptr) {
    if (const std::string problem = flag->check(value); !problem.empty()) {
      return usage_error(command, spelled + ": " + problem);
    }
  }
  inv.flags.emplace_back(flag->name, std::move(value));
  return {};
}

}  // namespace

Result<Invocation> parse_invocation(const Command& command, const std::vector<std::string>& words,
                                    const std::vector<std::string>& globs) {
  Invocation inv;
  bool flags_done = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (flags_done || word.size() < 2 || word[0] != '-') {
      inv.args.push_back(word);
      inv.globs.push_back(i < globs.size() ? globs[i] : std::string());
    } else if (word == "--") {
      flags_done = true;
    } else if (auto ok = take_flag(command, words, i, inv); !ok) {
      return ok.error();
    }
  }
  if (inv.args.size() < command.required_args()) {
    return usage_error(command, "missing argument" + usage_note(command));
  }
  if (inv.args.size() > command.args.size() && !command.has_repeating_arg()) {
    return usage_error(command, "too many arguments" + usage_note(command));
  }
  add_flag_defaults(command, inv);
  return inv;
}

LineOutcome run_line(CommandContext& context, std::string_view line) {
  auto split = split_command_line(line);
  if (!split) {
    std::fprintf(stderr, "sfs: %s\n", split.error().message.c_str());
    return {kExitUsage, false};
  }
  if (split->empty()) {
    return {};  // a blank line or a comment
  }
  std::vector<std::string> words;
  std::vector<std::string> globs;
  for (Word& w : *split) {
    words.push_back(std::move(w.text));
    globs.push_back(std::move(w.glob));
  }
  const Command* command = find_command(words.front(), context.mode);
  if (command == nullptr) {
    std::fprintf(stderr, "sfs: unknown command '%s' (try help)\n", words.front().c_str());
    return {kExitUsage, false};
  }
  auto inv = parse_invocation(*command, {words.begin() + 1, words.end()},
                              {globs.begin() + 1, globs.end()});
  if (!inv) {
    std::fprintf(stderr, "sfs: %s\n", inv.error().message.c_str());
    return {kExitUsage, false};
  }
  auto result = command->handler(context, *inv);
  std::fflush(context.out);
  if (result) {
    return {};
  }
  const Errc code = result.error().code;
  // After login, ERR AUTH means the server ended the session (the account
  // was deleted or its password changed) and closed the connection.
  return {report(result.error()),
          code == Errc::kNetwork || code == Errc::kProtocol || code == Errc::kAuth};
}

}  // namespace sfs::client
