#include "client/client_config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <system_error>

#include "config/toml_file.h"

namespace sfs::client {

namespace {

namespace fs = std::filesystem;
using config::key_error;

Error bad(std::string message) { return make_error(Errc::kBadRequest, std::move(message)); }

// "~/x" is $HOME/x; a relative path is relative to the settings file, since
// the client runs from any directory.
fs::path resolve(const std::string& text, const fs::path& file) {
  const char* home = std::getenv("HOME");
  if (text.rfind("~/", 0) == 0 && home != nullptr && home[0] != '\0') {
    return fs::path(home) / text.substr(2);
  }
  const fs::path path(text);
  return path.is_absolute() ? path : fs::absolute(file).parent_path() / path;
}

// The string at `node`, or the problem, for keys that hold one.
Result<std::string> string_of(const fs::path& file, const toml::key& key, const toml::node& node) {
  const auto* value = node.as_string();
  if (value == nullptr) {
    return key_error(file, key, fmt::format("expected a string, got {}", config::type_name(node)));
  }
  if (value->get().empty()) {
    return key_error(file, key, "must not be empty");
  }
  return value->get();
}

// Reads one key of a [profile.NAME] table into `profile`.
Result<void> read_key(const fs::path& file, const toml::key& key, const toml::node& node,
                      Profile& profile) {
  if (key == "port") {
    auto port = config::integer_in(node, 1, 65535);
    if (!port) {
      return key_error(file, key, port.error().message);
    }
    profile.port = static_cast<std::uint16_t>(*port);
    return {};
  }
  if (key == "retries") {
    auto retries = config::integer_in(node, 0, kMaxRetries);
    if (!retries) {
      return key_error(file, key, retries.error().message);
    }
    profile.retries = static_cast<unsigned>(*retries);
    return {};
  }
  if (key != "host" && key != "user" && key != "ca-file" && key != "password-file") {
    return key_error(file, key,
                     "unknown setting (a profile may set host, port, user, ca-file, "
                     "password-file, retries)");
  }
  SFS_ASSIGN_OR_RETURN(auto text, string_of(file, key, node));
  if (key == "host") {
    profile.host = text;
  } else if (key == "user") {
    profile.user = text;
  } else if (key == "ca-file") {
    profile.ca_file = resolve(text, file);
  } else {
    profile.password_file = resolve(text, file);
  }
  return {};
}

Result<Profile> read_profile(const fs::path& file, const toml::key& name, const toml::node& node) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return key_error(
        file, name,
        fmt::format("expected a [profile.NAME] table, got {}", config::type_name(node)));
  }
  Profile profile;
  profile.name = std::string(name.str());
  for (auto&& [key, value] : *table) {
    SFS_RETURN_IF_ERROR(read_key(file, key, value, profile));
  }
  return profile;
}

// Checks the top level: only default-profile (a string) and profile (a
// table of tables) belong there. Returns the default profile's name.
Result<std::string> check_top_level(const fs::path& file, const toml::table& top) {
  std::string default_name;
  for (auto&& [key, node] : top) {
    if (key == "default-profile") {
      SFS_ASSIGN_OR_RETURN(auto name, string_of(file, key, node));
      default_name = name;
    } else if (key == "profile") {
      if (!node.is_table()) {
        return key_error(file, key, "expected [profile.NAME] tables");
      }
    } else {
      return key_error(file, key, "unknown setting (expected default-profile or [profile.NAME])");
    }
  }
  return default_name;
}

}  // namespace

fs::path default_config_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return fs::path(xdg) / "sfs" / "config.toml";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : ".") / ".config" / "sfs" / "config.toml";
}

Result<std::optional<Profile>> load_profile(const fs::path& file, const std::string& name) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    if (name.empty()) {
      return std::optional<Profile>();
    }
    return bad(fmt::format("no profile {}: {} does not exist", name, file.string()));
  }
  SFS_ASSIGN_OR_RETURN(auto top, config::read_toml(file));
  SFS_ASSIGN_OR_RETURN(auto default_name, check_top_level(file, top));
  const std::string wanted = name.empty() ? default_name : name;
  // Every profile is checked, not only the one used: a mistake shows at once.
  std::optional<Profile> chosen;
  if (const auto* profiles = (top)["profile"].as_table(); profiles != nullptr) {
    for (auto&& [key, node] : *profiles) {
      SFS_ASSIGN_OR_RETURN(auto profile, read_profile(file, key, node));
      if (key == wanted) {
        chosen = std::move(profile);
      }
    }
  }
  if (!wanted.empty() && !chosen) {
    return bad(fmt::format("{}: no profile {}{}", file.string(), wanted,
                           name.empty() ? " (its default-profile)" : ""));
  }
  return chosen;
}

void apply_profile(const Profile& profile,
                   const std::function<bool(std::string_view)>& given_on_command_line,
                   SessionOptions& options) {
  if (profile.host && !given_on_command_line("--host")) {
    options.connect.host = *profile.host;
  }
  if (profile.port && !given_on_command_line("--port")) {
    options.connect.port = *profile.port;
  }
  if (profile.user && !given_on_command_line("--user")) {
    options.user = *profile.user;
  }
  if (profile.ca_file && !given_on_command_line("--ca-file")) {
    options.connect.ca_file = *profile.ca_file;
  }
  if (profile.password_file && !given_on_command_line("--password-file")) {
    options.password_file = profile.password_file->string();
  }
  if (profile.retries && !given_on_command_line("--retries")) {
    options.connect.retries = *profile.retries;
  }
}

}  // namespace sfs::client
