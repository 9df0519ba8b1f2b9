#include "server/config_file.h"

#include <fmt/format.h>

#include "config/toml_file.h"

namespace sfs::server {

namespace fs = std::filesystem;

std::vector<std::string_view> setting_keys() {
  std::vector<std::string_view> keys;
  for (const Setting& setting : setting_table()) {
    keys.push_back(setting.key);
  }
  return keys;
}

Result<void> apply_config_file(const fs::path& file, ServerSettings& settings,
                               const std::function<bool(std::string_view)>& given_on_command_line) {
  SFS_ASSIGN_OR_RETURN(auto table, config::read_toml(file));
  // A key the command line overrides is still checked, into a scratch copy:
  // a broken file should not start working only while a flag hides it.
  ServerSettings scratch;
  for (auto&& [key, node] : table) {
    const Setting* setting = find_setting(key.str());
    if (setting == nullptr) {
      return config::key_error(file, key, "unknown setting (see sfs-server --help)");
    }
    ServerSettings& into = given_on_command_line(key.str()) ? scratch : settings;
    if (std::string problem = setting->assign(node, into); !problem.empty()) {
      return config::key_error(file, key, problem);
    }
  }
  return {};
}

std::string format_settings(const ServerSettings& settings) {
  std::string out;
  for (const Setting& setting : setting_table()) {
    out += fmt::format("{} = {}\n", setting.key, setting.show(settings));
  }
  return out;
}

}  // namespace sfs::server
