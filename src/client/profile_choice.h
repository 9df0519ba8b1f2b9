#pragma once
// Which profile of the settings file (client/client_config.h) a connection
// uses, and what it took from it. A profile holds a user name and a
// password file for ONE server, so the default profile applies only when
// the command line names no server (no --host, no --port) or names the
// profile's own; --profile NAME always applies (flags still win), and
// --no-profile uses none. Errors then say which settings came from where.
//
//   auto use = choose_profile(default_config_path(), request);
//   use->apply(options);                       // fills what flags left unset
//   std::cerr << use->note();                   // after a failed connection

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/client_config.h"
#include "client/commands.h"

namespace sfs::client {

// What the command line says about profiles and the server.
struct ProfileRequest {
  std::string name;                             // --profile NAME; empty: the default profile
  bool none = false;                            // --no-profile
  std::function<bool(std::string_view)> given;  // given("--host"): the flag was on the command line
  std::string host;  // the server the command line names (or the built-in default)
  std::uint16_t port = 0;
};

class ProfileUse {
 public:
  ProfileUse() = default;
  ProfileUse(std::optional<Profile> profile, std::filesystem::path file, bool by_default,
             bool skipped)
      : profile_(std::move(profile)),
        file_(std::move(file)),
        by_default_(by_default),
        skipped_(skipped) {}

  // Copies the profile's settings the command line left unset into
  // `options`, remembering which (nothing when no profile applies).
  void apply(const std::function<bool(std::string_view)>& given, SessionOptions& options);
  // For an error message: "settings user, password-file from [profile.home]
  // of FILE (the default profile; --no-profile ignores it)", or why the
  // default profile was left out; empty when no profile played a part.
  std::string note() const;

 private:
  std::optional<Profile> profile_;
  std::filesystem::path file_;
  bool by_default_ = false;  // the file's default-profile, not --profile
  bool skipped_ = false;     // the default profile is for another server
  std::vector<std::string> taken_;
};

// Loads and chooses the profile for `request` from `file`. Fails as
// load_profile does, and when --profile and --no-profile are both given.
Result<ProfileUse> choose_profile(const std::filesystem::path& file, const ProfileRequest& request);

}  // namespace sfs::client
