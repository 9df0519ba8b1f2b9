#pragma once
// sfs-server's optional TOML settings file (`--config FILE`): every server
// flag, under the same name without the dashes, e.g.
//
//   port = 9001
//   storage = "/var/lib/sfs/storage"
//   max-connections = 256
//   log-format = "json"
//   tls12 = false
//
// Flags given on the command line win over the file; the file wins over the
// built-in defaults. `--check-config` prints the result with
// format_settings(). The keys and their types come from setting_table().

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "server/settings.h"

namespace sfs::server {

// The keys a settings file may hold, in the order format_settings() prints
// them. Each is also a flag: "--" + key.
std::vector<std::string_view> setting_keys();

// Reads `file` into `settings`, leaving alone every key for which
// `given_on_command_line(key)` is true (those are still checked).
// Fails (Errc::kBadRequest) with one line naming the file, the line and the
// key: a syntax error, an unknown key, a value of the wrong type, or one out
// of range; `settings` is then partly updated and should not be used.
Result<void> apply_config_file(const std::filesystem::path& file, ServerSettings& settings,
                               const std::function<bool(std::string_view)>& given_on_command_line);

// The effective settings as TOML, one "key = value" line per key of
// setting_keys(); reading it back with apply_config_file() gives the same
// settings. Holds no secret (the server has none in its settings).
std::string format_settings(const ServerSettings& settings);

}  // namespace sfs::server
