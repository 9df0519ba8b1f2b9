#pragma once
// The client's optional settings file, $XDG_CONFIG_HOME/sfs/config.toml
// (else ~/.config/sfs/config.toml): named connection profiles and which one
// to use when `sfs --profile NAME` is not given.
//
//   default-profile = "home"
//
//   [profile.home]
//   host = "files.example.org"
//   port = 9001
//   user = "alice"
//   ca-file = "home.crt"            # relative to this file's directory
//   password-file = "~/.sfs-pass"   # ~/ is $HOME
//   retries = 10                     # as --retries
//
// Flags given on the command line win over the profile.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "client/commands.h"

namespace sfs::client {

// What a profile sets; an empty optional leaves the built-in default.
struct Profile {
  std::string name;  // NAME of [profile.NAME]
  std::optional<std::string> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string> user;
  std::optional<std::filesystem::path> ca_file;        // absolute once loaded
  std::optional<std::filesystem::path> password_file;  // absolute once loaded
  std::optional<unsigned> retries;
};

// $XDG_CONFIG_HOME/sfs/config.toml when that is an absolute path, else
// $HOME/.config/sfs/config.toml (as known_servers is found).
std::filesystem::path default_config_path();

// The profile `name` of `file`, or with an empty `name` the file's
// default-profile. Returns nullopt when none applies: no name asked and the
// file is absent or names no default. Relative paths in the profile are
// taken from `file`'s directory, and "~/" from $HOME.
// Fails (Errc::kBadRequest, one line naming file, line and key): a syntax
// error, an unknown key, a wrong type, a port out of range, an unknown
// profile, or a name asked for while the file does not exist.
Result<std::optional<Profile>> load_profile(const std::filesystem::path& file,
                                            const std::string& name);

// Copies each setting of `profile` into `options` unless the command line
// gave its flag: `given_on_command_line("--host")` and so on.
void apply_profile(const Profile& profile,
                   const std::function<bool(std::string_view)>& given_on_command_line,
                   SessionOptions& options);

}  // namespace sfs::client
