#include "client/profile_choice.h"

#include <fmt/format.h>

namespace sfs::client {
namespace {

// Whether the server the command line names is the profile's own. Either
// flag alone may name it; what the profile leaves unset is the built-in
// default.
bool names_own_server(const Profile& profile, const ProfileRequest& request) {
  const ConnectOptions defaults;
  const bool host_ok =
      !request.given("--host") || request.host == profile.host.value_or(defaults.host);
  const bool port_ok =
      !request.given("--port") || request.port == profile.port.value_or(defaults.port);
  return host_ok && port_ok;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : ", ") + word;
  }
  return text;
}

}  // namespace

Result<ProfileUse> choose_profile(const std::filesystem::path& file,
                                  const ProfileRequest& request) {
  if (request.none) {
    if (!request.name.empty()) {
      return make_error(Errc::kBadRequest, "--profile and --no-profile contradict each other");
    }
    return ProfileUse();
  }
  SFS_ASSIGN_OR_RETURN(auto profile, load_profile(file, request.name));
  if (!profile) {
    return ProfileUse();
  }
  const bool by_default = request.name.empty();
  // Another server than the default profile's must not get its user name
  // and password file (docs/security.md).
  if (by_default && !names_own_server(*profile, request)) {
    return ProfileUse(std::move(profile), file, true, true);
  }
  return ProfileUse(std::move(profile), file, by_default, false);
}

void ProfileUse::apply(const std::function<bool(std::string_view)>& given,
                       SessionOptions& options) {
  if (!profile_ || skipped_) {
    return;
  }
  apply_profile(*profile_, given, options);
  const std::pair<const char*, bool> settings[] = {
      {"host", profile_->host.has_value()},
      {"port", profile_->port.has_value()},
      {"user", profile_->user.has_value()},
      {"ca-file", profile_->ca_file.has_value()},
      {"password-file", profile_->password_file.has_value()},
  };
  for (const auto& [key, set] : settings) {
    if (set && !given(std::string("--") + key)) {
      taken_.emplace_back(key);
    }
  }
}

std::string ProfileUse::note() const {
  if (!profile_) {
    return {};
  }
  if (skipped_) {
    return fmt::format(
        "the default profile {} of {} was not used: it is for another server (--profile {} "
        "uses it)",
        profile_->name, file_.string(), profile_->name);
  }
  if (taken_.empty()) {
    return {};
  }
  return fmt::format("{} from [profile.{}] of {}{}", joined(taken_), profile_->name, file_.string(),
                     by_default_ ? " (the default profile; --no-profile leaves it out)" : "");
}

}  // namespace sfs::client
