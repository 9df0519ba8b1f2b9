#include "client/client_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace sfs::client {
namespace {

namespace fs = std::filesystem;

constexpr char kTwoProfiles[] =
    "default-profile = \"home\"\n"
    "\n"
    "[profile.home]\n"
    "host = \"files.example.org\"\n"
    "port = 9100\n"
    "user = \"alice\"\n"
    "ca-file = \"home.crt\"\n"
    "password-file = \"~/secret/pw\"\n"
    "\n"
    "[profile.work]\n"
    "host = \"10.0.0.5\"\n"
    "ca-file = \"/etc/sfs/work.crt\"\n";

class ClientConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    file_ = dir_ / "config.toml";
    for (const char* name : {"HOME", "XDG_CONFIG_HOME"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name,
                          value != nullptr ? std::optional<std::string>(value) : std::nullopt);
    }
    ::setenv("HOME", "/home/tester", 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

  void write(const std::string& text) { std::ofstream(file_, std::ios::binary) << text; }

  std::string error_for(const std::string& text, const std::string& name = "") {
    write(text);
    auto result = load_profile(file_, name);
    EXPECT_FALSE(result) << text;
    return result ? std::string() : result.error().message;
  }

  test::TempDir tmp_{"sfs-client-config"};
  const fs::path dir_ = tmp_.path();
  fs::path file_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(ClientConfigTest, DefaultPathFollowsXdg) {
  ::setenv("XDG_CONFIG_HOME", "/x/conf", 1);
  EXPECT_EQ(default_config_path(), fs::path("/x/conf/sfs/config.toml"));
  ::setenv("XDG_CONFIG_HOME", "relative", 1);  // ignored, as the XDG spec says
  EXPECT_EQ(default_config_path(), fs::path("/home/tester/.config/sfs/config.toml"));
  ::unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(default_config_path(), fs::path("/home/tester/.config/sfs/config.toml"));
}

TEST_F(ClientConfigTest, NamedProfile) {
  write(kTwoProfiles);
  auto work = load_profile(file_, "work");
  ASSERT_TRUE(work) << work.error().message;
  ASSERT_TRUE(work->has_value());
  const Profile& p = **work;
  EXPECT_EQ(p.host, "10.0.0.5");
  EXPECT_EQ(p.ca_file, fs::path("/etc/sfs/work.crt"));
  EXPECT_FALSE(p.port);
  EXPECT_FALSE(p.user);
  EXPECT_FALSE(p.password_file);
}

TEST_F(ClientConfigTest, DefaultProfileAndPathResolution) {
  write(kTwoProfiles);
  auto home = load_profile(file_, "");
  ASSERT_TRUE(home) << home.error().message;
  ASSERT_TRUE(home->has_value());
  const Profile& p = **home;
  EXPECT_EQ(p.host, "files.example.org");
  EXPECT_EQ(p.port, 9100);
  EXPECT_EQ(p.user, "alice");
  EXPECT_EQ(p.ca_file, dir_ / "home.crt");  // beside the settings file
  EXPECT_EQ(p.password_file, fs::path("/home/tester/secret/pw"));
}

TEST_F(ClientConfigTest, NothingAppliesWithoutFileOrDefault) {
  auto absent = load_profile(dir_ / "absent.toml", "");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
  write("[profile.a]\nhost = \"h\"\n");
  auto no_default = load_profile(file_, "");
  ASSERT_TRUE(no_default);
  EXPECT_FALSE(no_default->has_value());
  write("");
  auto empty = load_profile(file_, "");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->has_value());
}

TEST_F(ClientConfigTest, FlagsOverrideTheProfile) {
  write(kTwoProfiles);
  auto home = load_profile(file_, "home");
  ASSERT_TRUE(home && home->has_value());
  SessionOptions options;
  options.connect.host = "given.example";
  options.user = "bob";
  apply_profile(
      **home, [](std::string_view flag) { return flag == "--host" || flag == "--user"; }, options);
  EXPECT_EQ(options.connect.host, "given.example");
  EXPECT_EQ(options.user, "bob");
  EXPECT_EQ(options.connect.port, 9100);
  EXPECT_EQ(options.connect.ca_file, dir_ / "home.crt");
  EXPECT_EQ(options.password_file, "/home/tester/secret/pw");

  SessionOptions untouched;
  Profile nothing;
  apply_profile(
      nothing, [](std::string_view) { return false; }, untouched);
  EXPECT_EQ(untouched.connect.host, "127.0.0.1");
  EXPECT_EQ(untouched.connect.port, 9001);
}

TEST_F(ClientConfigTest, UnknownProfiles) {
  EXPECT_EQ(error_for(kTwoProfiles, "play"), file_.string() + ": no profile play");
  EXPECT_EQ(error_for("default-profile = \"gone\"\n"),
            file_.string() + ": no profile gone (its default-profile)");
  auto missing = load_profile(dir_ / "absent.toml", "home");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "no profile home: " + (dir_ / "absent.toml").string() + " does not exist");
}

TEST_F(ClientConfigTest, RetriesFromTheProfileUnlessGiven) {
  write("[profile.a]\nretries = 0\n");
  auto profile = load_profile(file_, "a");
  ASSERT_TRUE(profile && profile->has_value());
  EXPECT_EQ((*profile)->retries, 0U);
  SessionOptions options;
  EXPECT_EQ(options.connect.retries, 5U);
  apply_profile(
      **profile, [](std::string_view) { return false; }, options);
  EXPECT_EQ(options.connect.retries, 0U);
  options.connect.retries = 7;  // --retries 7
  apply_profile(
      **profile, [](std::string_view flag) { return flag == "--retries"; }, options);
  EXPECT_EQ(options.connect.retries, 7U);
  EXPECT_EQ(error_for("[profile.a]\nretries = 101\n"),
            file_.string() + ":2: retries: must be between 0 and 100 (got 101)");
}

TEST_F(ClientConfigTest, BadFiles) {
  EXPECT_EQ(error_for("[profile.a]\nhost = \"h\"\nprot = 1\n"),
            file_.string() +
                ":3: prot: unknown setting (a profile may set host, port, user, ca-file, "
                "password-file, retries)");
  EXPECT_EQ(error_for("[profile.a]\nport = \"9001\"\n"),
            file_.string() + ":2: port: expected an integer, got a string");
  EXPECT_EQ(error_for("[profile.a]\nport = 0\n"),
            file_.string() + ":2: port: must be between 1 and 65535 (got 0)");
  EXPECT_EQ(error_for("[profile.a]\nuser = 7\n"),
            file_.string() + ":2: user: expected a string, got an integer");
  EXPECT_EQ(error_for("[profile.a]\nhost = \"\"\n"),
            file_.string() + ":2: host: must not be empty");
  EXPECT_EQ(
      error_for("host = \"h\"\n"),
      file_.string() + ":1: host: unknown setting (expected default-profile or [profile.NAME])");
  EXPECT_EQ(error_for("profile = 3\n"),
            file_.string() + ":1: profile: expected [profile.NAME] tables");
  EXPECT_EQ(error_for("[profile]\na = 1\n"),
            file_.string() + ":2: a: expected a [profile.NAME] table, got an integer");
  EXPECT_EQ(error_for("default-profile = 1\n"),
            file_.string() + ":1: default-profile: expected a string, got an integer");
  // A broken profile is an error even when another one is asked for.
  EXPECT_EQ(error_for("[profile.a]\nhost = \"h\"\n[profile.b]\nport = -1\n", "a"),
            file_.string() + ":4: port: must be between 1 and 65535 (got -1)");
  const std::string syntax = error_for("[profile.a]\nhost = \"unterminated\n");
  EXPECT_EQ(syntax.rfind(file_.string() + ":2:", 0), 0U) << syntax;
}

}  // namespace
}  // namespace sfs::client
