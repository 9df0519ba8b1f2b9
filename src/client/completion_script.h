#pragma once
// The bash and zsh completion scripts of `sfs`, printed by
// `sfs --completion SHELL`. They are made from the command table
// (client/command_table.h: commands, aliases, flags, which arguments are local
// paths, one-line help) and from the global options of the CLI11 app (their
// spellings, help, whether they take a value and, by its type name, what the
// value is). dist/completion holds the output, so that packages install it
// without running sfs; integration.test_completion fails when it differs.
//
//   sfs --completion bash > dist/completion/sfs.bash
//   sfs --completion zsh > dist/completion/_sfs

#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace sfs::client {

// Type names that global options give their values, which say what to
// complete there (any other type name: nothing).
inline constexpr const char* kFileType = "FILE";        // a local file
inline constexpr const char* kHostType = "HOST";        // a host name
inline constexpr const char* kProfileType = "PROFILE";  // a profile of the settings file
inline constexpr const char* kShellType = "SHELL";      // one of completion_shells()

// The shells there is a script for.
const std::vector<std::string_view>& completion_shells();

// What an option's value is, for completion.
enum class ValueKind { kNone, kText, kFile, kHost, kProfile, kShell };

// A global option: how it is spelled ("--user", "-u"), what its value is.
struct GlobalOption {
  std::vector<std::string> spellings;  // long ones first
  ValueKind value = ValueKind::kNone;
  std::string type_name;  // "FILE"; empty without a value
  std::string help;
};

// The options of `app` itself (not of its subcommands), in its order.
std::vector<GlobalOption> global_options(const CLI::App& app);

// The script for `shell` (one of completion_shells()); empty for another.
std::string completion_script(const CLI::App& app, std::string_view shell);

std::string bash_completion(const std::vector<GlobalOption>& options);
std::string zsh_completion(const std::vector<GlobalOption>& options);

}  // namespace sfs::client
