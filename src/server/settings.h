#pragma once
// The one table of sfs-server's settings. Each row names a setting once: its
// TOML key (the flag is "--" + key), the man page's placeholder for its
// value, its --help line, its range, and where it lands in ServerSettings.
// The command line (add_setting_flags), the settings file
// (apply_config_file), --check-config (format_settings) and the man page's
// test all read this table; a new setting is one row here plus its prose in
// docs/man/sfs-server.8 (the test fails until the page has it).

#include <toml++/toml.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"
#include "server/logging.h"

namespace CLI {
class App;
}

namespace sfs::server {

// Everything sfs-server can be told: the server's Config plus what main()
// itself acts on.
struct ServerSettings {
  Config config;
  std::string run_as;  // empty: stay who we are
  bool allow_root = false;
  bool no_compress = false;  // true: do not offer zstd (config.offer_compression)
  LogFormat log_format = LogFormat::kText;
};

// One row of the table.
struct Setting {
  std::string_view key;         // TOML key; the flag is "--" + key
  std::string_view value_name;  // the man page's placeholder ("seconds"); empty for a switch
  std::string_view help;        // the flag's --help text
  // Adds the flag to `app`, writing into `settings` (which must outlive the
  // parse), with its default shown and its range checked.
  std::function<void(CLI::App& app, ServerSettings& settings)> add_flag;
  // Reads a TOML value into `settings`: empty when fine, else the problem
  // ("expected an integer, got a string", "must be between 1 and 100 (got 0)").
  std::function<std::string(const toml::node& node, ServerSettings& settings)> assign;
  // The setting's value in `settings` as TOML ("9001", "\"id_passwd.txt\"").
  std::function<std::string(const ServerSettings& settings)> show;
};

// Every setting, in the order --help and --check-config list them.
const std::vector<Setting>& setting_table();

// The row for `key`, or nullptr.
const Setting* find_setting(std::string_view key);

// Adds every setting's flag to `app`, bound to `settings`.
void add_setting_flags(CLI::App& app, ServerSettings& settings);

}  // namespace sfs::server
