// The zsh completion script (see completion_script.h). Its fixed parts are
// the raw strings below; the specs in between come from the command table and
// the app's global options.

#include <algorithm>

#include "client/command_table.h"
#include "client/completion_script.h"

namespace sfs::client {
namespace {

constexpr const char* kHead = R"sh(#compdef sfs
# zsh completion for sfs(1). Made from sfs's command table by
# `sfs --completion zsh`: do not edit (integration.test_completion compares
# the two).

_sfs_profiles() {
  local conf=$HOME/.config/sfs/config.toml
  [[ $XDG_CONFIG_HOME == /* ]] && conf=$XDG_CONFIG_HOME/sfs/config.toml
  [[ -r $conf ]] || return 1
  local -a names
  names=(${(f)"$(sed -n 's/^[[:space:]]*\[[[:space:]]*profile\.\([A-Za-z0-9_-]*\)[[:space:]]*\].*$/\1/p' $conf)"})
  _describe -t profiles 'profile' names
}

_sfs() {
  local -a commands
  commands=(
)sh";

constexpr const char* kStates = R"sh(    '1:command:->command' \
    '*::argument:->argument' && return 0
  case $state in
    command) _describe -t commands 'sfs command' commands ;;
    argument)
      case $words[1] in
)sh";

constexpr const char* kTail = R"sh(      esac
      ;;
  esac
}

_sfs "$@"
)sh";

// `text` for inside '...' and, with `in_brackets`, inside an [explanation].
std::string quoted(std::string_view text, bool in_brackets) {
  std::string out;
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else if (in_brackets && (c == '[' || c == ']' || c == '\\')) {
      out += std::string("\\") + c;
    } else {
      out += c;
    }
  }
  return out;
}

// "'(-u --user)'{-u,--user}'[help]" or "'--host[help]", without the value.
std::string option_head(const std::vector<std::string>& spellings, std::string_view help) {
  if (spellings.size() == 1) {
    return "'" + spellings.front() + "[" + quoted(help, true) + "]";
  }
  std::string group;
  std::string braces;
  for (auto it = spellings.rbegin(); it != spellings.rend(); ++it) {
    group += (group.empty() ? "" : " ") + *it;
    braces += (braces.empty() ? "" : ",") + *it;
  }
  return "'(" + group + ")'{" + braces + "}'[" + quoted(help, true) + "]";
}

std::string value_spec(ValueKind kind, const std::string& type_name) {
  switch (kind) {
    case ValueKind::kNone:
      return "";
    case ValueKind::kFile:
      return ":" + type_name + ":_files";
    case ValueKind::kHost:
      return ":" + type_name + ":_hosts";
    case ValueKind::kProfile:
      return ":" + type_name + ":_sfs_profiles";
    case ValueKind::kShell:
      return ":" + type_name + ":(bash zsh)";
    case ValueKind::kText:
      break;
  }
  return ":" + type_name + ":";
}

std::string described_commands() {
  std::string text;
  for (const Command& c : command_table()) {
    if (!c.available_in(kCommandLine)) {
      continue;
    }
    text += "    '" + std::string(c.name) + ":" + quoted(c.help, false) + "'\n";
    for (const std::string_view alias : c.command_line_aliases()) {
      text += "    '" + std::string(alias) + ":" + quoted(c.help, false) + "'\n";
    }
  }
  return text + "  )\n  local curcontext=$curcontext state line\n  _arguments -C \\\n";
}

std::string global_specs(const std::vector<GlobalOption>& options) {
  std::string text;
  for (const GlobalOption& o : options) {
    text += "    " + option_head(o.spellings, o.help) + value_spec(o.value, o.type_name) + "' \\\n";
  }
  return text;
}

std::string argument_action(ArgKind kind) {
  switch (kind) {
    case ArgKind::kLocal:
      return "_files";
    case ArgKind::kLocalDir:
      return "_files -/";
    default:
      return " ";  // remote names: only the message
  }
}

// The spec of the help option, which every subcommand has as the app has.
std::string help_spec(const std::vector<GlobalOption>& options) {
  for (const GlobalOption& o : options) {
    if (std::find(o.spellings.begin(), o.spellings.end(), "--help") != o.spellings.end()) {
      return option_head(o.spellings, o.help) + "'";
    }
  }
  return "'--help[Print help]'";
}

// One command's `_arguments` specs, one per line.
std::string command_specs(const Command& c, const std::string& help) {
  std::string text = "          _arguments \\\n            " + help;
  for (const Flag& f : c.flags) {
    std::vector<std::string> spellings{std::string(f.name)};
    if (!f.short_name.empty()) {
      spellings.emplace_back(f.short_name);
    }
    const std::string value =
        f.value_name.empty() ? "" : value_spec(ValueKind::kText, std::string(f.value_name));
    // '*' lets zsh offer a repeating flag again (a one-spelling head only).
    const std::string head = option_head(spellings, f.help);
    const bool again = f.repeats && spellings.size() == 1;
    text += " \\\n            " + (again ? "'*" + head.substr(1) : head) + value + "'";
  }
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    const std::string optional = c.args[i].required ? "" : ":";
    // '*:' takes every remaining word, so a repeating argument is the last.
    const std::string position = c.args[i].repeats ? "*" : std::to_string(i + 1);
    text += " \\\n            '" + position;
    text += ":" + optional + std::string(c.args[i].name);
    text += ":" + argument_action(c.args[i].kind) + "'";
    if (c.args[i].repeats) {
      break;
    }
  }
  return text + "\n          ;;\n";
}

std::string command_cases(const std::vector<GlobalOption>& options) {
  const std::string help = help_spec(options);
  std::string text;
  for (const Command& c : command_table()) {
    if (!c.available_in(kCommandLine)) {
      continue;
    }
    std::string pattern(c.name);
    for (const std::string_view alias : c.command_line_aliases()) {
      pattern += "|" + std::string(alias);
    }
    text += "        " + pattern + ")\n" + command_specs(c, help);
  }
  return text;
}

}  // namespace

std::string zsh_completion(const std::vector<GlobalOption>& options) {
  return kHead + described_commands() + global_specs(options) + kStates + command_cases(options) +
         kTail;
}

}  // namespace sfs::client
