// The bash completion script (see completion_script.h). Its fixed parts are
// the raw strings below; the lists in between come from the command table and
// the app's global options.

#include "client/command_table.h"
#include "client/completion_script.h"

namespace sfs::client {
namespace {

constexpr std::size_t kWidth = 100;

constexpr const char* kHead =
    R"sh(# bash completion for sfs(1): commands, options, profile names from
# ~/.config/sfs/config.toml, and local file names where a local file goes.
# Plain bash: needs nothing from the bash-completion package.
# Made from sfs's command table by `sfs --completion bash`: do not edit
# (integration.test_completion compares the two).

# The [profile.NAME] names of the client's settings file.
_sfs_profiles() {
  local conf="$HOME/.config/sfs/config.toml"
  if [[ ${XDG_CONFIG_HOME:-} == /* ]]; then
    conf="$XDG_CONFIG_HOME/sfs/config.toml"
  fi
  [[ -r $conf ]] || return 0
  sed -n 's/^[[:space:]]*\[[[:space:]]*profile\.\([A-Za-z0-9_-]*\)[[:space:]]*\].*$/\1/p' "$conf"
}

# Local names starting with $1: files and directories, or with -d as $2
# directories only.
_sfs_files() {
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  COMPREPLY=($(compgen "${2:--f}" -- "$1"))
}

_sfs() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=${COMP_WORDS[COMP_CWORD - 1]}
)sh";

constexpr const char* kFindCommand = R"sh(
  # The command word, and how many arguments follow it before the cursor.
  local i word command="" args=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [[ -z $command ]]; then
      case $word in
)sh";

constexpr const char* kCommandOrOption = R"sh(
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$options" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return 0
  fi

  if [[ $cur == -* ]]; then
    local command_options="--help"
    case $command in
)sh";

constexpr const char* kTail = R"sh(  esac
  return 0
}

complete -F _sfs sfs
)sh";

// `words` as a double-quoted bash string assigned at column `column`,
// wrapped to kWidth with continuation lines indented by four.
std::string quoted_list(const std::vector<std::string>& words, std::size_t column) {
  std::string text = "\"";
  std::size_t at = column + 1;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && at + 1 + words[i].size() + 1 > kWidth) {
      text += "\n    ";
      at = 4;
    } else if (i > 0) {
      text += " ";
      ++at;
    }
    text += words[i];
    at += words[i].size();
  }
  return text + "\"";
}

std::string alternatives(const std::vector<std::string>& words, std::string_view suffix = "") {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : " | ") + word + std::string(suffix);
  }
  return text;
}

std::vector<std::string> command_names(const Command& command) {
  std::vector<std::string> names{std::string(command.name)};
  names.insert(names.end(), command.aliases.begin(), command.aliases.end());
  return names;
}

std::vector<const Command*> command_line_commands() {
  std::vector<const Command*> commands;
  for (const Command& c : command_table()) {
    if (c.available_in(kCommandLine)) {
      commands.push_back(&c);
    }
  }
  return commands;
}

std::vector<std::string> flag_spellings(const Command& command, bool with_value) {
  std::vector<std::string> spellings;
  for (const Flag& f : command.flags) {
    if (with_value && f.value_name.empty()) {
      continue;
    }
    spellings.emplace_back(f.name);
    if (!f.short_name.empty()) {
      spellings.emplace_back(f.short_name);
    }
  }
  return spellings;
}

// Every command's flags that take a value.
std::vector<std::string> command_value_flags() {
  std::vector<std::string> spellings;
  for (const Command* c : command_line_commands()) {
    for (std::string& s : flag_spellings(*c, true)) {
      spellings.push_back(std::move(s));
    }
  }
  return spellings;
}

std::vector<std::string> spellings_of(const std::vector<GlobalOption>& options, ValueKind kind) {
  std::vector<std::string> spellings;
  for (const GlobalOption& o : options) {
    if (o.value == kind) {
      spellings.insert(spellings.end(), o.spellings.begin(), o.spellings.end());
    }
  }
  return spellings;
}

std::string lists(const std::vector<GlobalOption>& options) {
  std::vector<std::string> commands;
  for (const Command* c : command_line_commands()) {
    for (std::string& name : command_names(*c)) {
      commands.push_back(std::move(name));
    }
  }
  std::vector<std::string> all;
  for (const GlobalOption& o : options) {
    all.insert(all.end(), o.spellings.begin(), o.spellings.end());
  }
  return "  local commands=" + quoted_list(commands, 17) +
         "\n  local options=" + quoted_list(all, 16) + "\n  COMPREPLY=()\n";
}

// What follows an option that takes a value.
std::string value_cases(const std::vector<GlobalOption>& options) {
  const std::pair<ValueKind, const char*> actions[] = {
      {ValueKind::kProfile, "COMPREPLY=($(compgen -W \"$(_sfs_profiles)\" -- \"$cur\"))"},
      {ValueKind::kFile, "_sfs_files \"$cur\""},
      {ValueKind::kHost, "COMPREPLY=($(compgen -A hostname -- \"$cur\"))"},
      {ValueKind::kShell, "COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\"))"},
      {ValueKind::kText, nullptr}};
  std::string text = "\n  case $prev in\n";
  for (const auto& [kind, action] : actions) {
    std::vector<std::string> spellings = spellings_of(options, kind);
    if (kind == ValueKind::kText) {
      for (std::string& s : command_value_flags()) {
        spellings.push_back(std::move(s));
      }
    }
    if (spellings.empty()) {
      continue;
    }
    text += "    " + alternatives(spellings) + ")\n";
    text += action != nullptr ? "      " + std::string(action) + "\n" : "";
    text += "      return 0\n      ;;\n";
  }
  return text + "  esac\n";
}

std::string command_loop(const std::vector<GlobalOption>& options) {
  std::vector<std::string> with_value;
  for (const GlobalOption& o : options) {
    if (o.value != ValueKind::kNone) {
      with_value.insert(with_value.end(), o.spellings.begin(), o.spellings.end());
    }
  }
  std::string text = kFindCommand;
  text += "        " + alternatives(with_value) + ") ((i++)) ;;\n";
  text +=
      "        -*) ;;\n        *) command=$word ;;\n      esac\n    else\n      case $word in\n";
  if (const std::vector<std::string> flags = command_value_flags(); !flags.empty()) {
    text += "        " + alternatives(flags) + ") ((i++)) ;;\n";
  }
  return text + "        -*) ;;\n        *) ((args++)) ;;\n      esac\n    fi\n  done\n";
}

std::string command_flags() {
  std::string text;
  for (const Command* c : command_line_commands()) {
    if (const std::vector<std::string> flags = flag_spellings(*c, false); !flags.empty()) {
      std::string words;
      for (const std::string& f : flags) {
        words += " " + f;
      }
      text +=
          "      " + alternatives(command_names(*c)) + ") command_options+=\"" + words + "\" ;;\n";
    }
  }
  return text + "    esac\n    COMPREPLY=($(compgen -W \"$command_options\" -- \"$cur\"))\n" +
         "    return 0\n  fi\n";
}

std::string local_arguments() {
  std::string text = "\n  # Local paths: by the command and the argument's position.\n";
  text += "  case $command:$args in\n";
  for (const Command* c : command_line_commands()) {
    // From an argument that repeats on, positions are no longer fixed: the
    // first argument then matches any position, a later one any but the first.
    bool repeated = false;
    for (std::size_t i = 0; i < c->args.size(); ++i) {
      const ArgKind kind = c->args[i].kind;
      repeated = repeated || c->args[i].repeats;
      if (kind == ArgKind::kLocal || kind == ArgKind::kLocalDir) {
        const std::string position = !repeated ? std::to_string(i) : i == 0 ? "*" : "[1-9]*";
        text += "    " + alternatives(command_names(*c), ":" + position) + ") _sfs_files \"$cur\"" +
                (kind == ArgKind::kLocalDir ? " -d" : "") + " ;;\n";
      }
    }
  }
  return text;
}

}  // namespace

std::string bash_completion(const std::vector<GlobalOption>& options) {
  return kHead + lists(options) + value_cases(options) + command_loop(options) + kCommandOrOption +
         command_flags() + local_arguments() + kTail;
}

}  // namespace sfs::client
