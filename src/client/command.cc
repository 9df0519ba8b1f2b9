// The parts of a command table entry that are derived from its fields: its
// usage line, what its arguments name, and the defaults of its flags.

#include <algorithm>
#include <cctype>
#include <iterator>

#include "client/command_table.h"

namespace sfs::client {

const std::string* Invocation::flag(std::string_view name) const {
  for (const auto& [flag_name, value] : flags) {
    if (flag_name == name) {
      return &value;
    }
  }
  return nullptr;
}

std::vector<std::string> Invocation::flag_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [flag_name, value] : flags) {
    if (flag_name == name) {
      out.push_back(value);
    }
  }
  return out;
}

std::string Invocation::arg_or(std::size_t i, const std::string& fallback) const {
  return i < args.size() ? args[i] : fallback;
}

const std::string& Invocation::glob(std::size_t i) const {
  static const std::string kNone;
  return i < globs.size() ? globs[i] : kNone;
}

bool Command::named(std::string_view word) const {
  return name == word || std::find(aliases.begin(), aliases.end(), word) != aliases.end();
}

std::vector<std::string_view> Command::command_line_aliases() const {
  std::vector<std::string_view> words;
  std::copy_if(aliases.begin(), aliases.end(), std::back_inserter(words), [](std::string_view a) {
    return std::all_of(a.begin(), a.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
  });
  return words;
}

std::string Command::usage() const {
  std::string text(name);
  for (const Flag& f : flags) {
    if (f.value_name.empty()) {
      text += " [" + std::string(f.short_name.empty() ? f.name : f.short_name) + "]";
    }
  }
  for (const Arg& a : args) {
    const std::string name = std::string(a.name) + (a.repeats ? "..." : "");
    text += a.required ? " " + name : " [" + name + "]";
  }
  for (const Flag& f : flags) {
    if (!f.value_name.empty()) {
      text += " [" + std::string(f.name) + " " + std::string(f.value_name) + "]";
    }
  }
  return text;
}

ArgKind Command::arg_kind(std::size_t position) const {
  if (args.empty()) {
    return ArgKind::kNone;
  }
  return args[std::min(position, args.size() - 1)].kind;
}

std::size_t Command::required_args() const {
  return static_cast<std::size_t>(
      std::count_if(args.begin(), args.end(), [](const Arg& a) { return a.required; }));
}

bool Command::has_repeating_arg() const {
  return std::any_of(args.begin(), args.end(), [](const Arg& a) { return a.repeats; });
}

void add_flag_defaults(const Command& command, Invocation& invocation) {
  for (const Flag& f : command.flags) {
    if (!f.default_value.empty() && invocation.flag(f.name) == nullptr) {
      invocation.flags.emplace_back(f.name, std::string(f.default_value));
    }
  }
}

}  // namespace sfs::client
