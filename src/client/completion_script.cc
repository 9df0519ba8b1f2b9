#include "client/completion_script.h"

#include <CLI/CLI.hpp>

namespace sfs::client {
namespace {

// An option's type name without what its checks add ("PORT:INT in [1 - 65535]").
std::string type_name(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  return type.substr(0, type.find(':'));
}

ValueKind kind_of(const CLI::Option& option) {
  if (option.get_expected_min() == 0) {
    return ValueKind::kNone;
  }
  const std::string type = type_name(option);
  if (type == kFileType) {
    return ValueKind::kFile;
  }
  if (type == kHostType) {
    return ValueKind::kHost;
  }
  if (type == kProfileType) {
    return ValueKind::kProfile;
  }
  return type == kShellType ? ValueKind::kShell : ValueKind::kText;
}

}  // namespace

const std::vector<std::string_view>& completion_shells() {
  static const std::vector<std::string_view> shells{"bash", "zsh"};
  return shells;
}

std::vector<GlobalOption> global_options(const CLI::App& app) {
  std::vector<GlobalOption> options;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional()) {
      continue;
    }
    GlobalOption global;
    for (const std::string& name : option->get_lnames()) {
      global.spellings.push_back("--" + name);
    }
    for (const std::string& name : option->get_snames()) {
      global.spellings.push_back("-" + name);
    }
    global.value = kind_of(*option);
    if (global.value != ValueKind::kNone) {
      global.type_name = type_name(*option);
    }
    global.help = option->get_description();
    options.push_back(std::move(global));
  }
  return options;
}

std::string completion_script(const CLI::App& app, std::string_view shell) {
  if (shell == "bash") {
    return bash_completion(global_options(app));
  }
  if (shell == "zsh") {
    return zsh_completion(global_options(app));
  }
  return {};
}

}  // namespace sfs::client
