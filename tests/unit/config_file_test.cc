#include "server/config_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "test_util.h"

namespace sfs::server {
namespace {

namespace fs = std::filesystem;

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    file_ = dir_ / "server.toml";
  }

  void write(const std::string& text) { std::ofstream(file_, std::ios::binary) << text; }

  // Applies `text` with nothing given on the command line.
  Result<void> apply(const std::string& text, ServerSettings& settings) {
    write(text);
    return apply_config_file(file_, settings, [](std::string_view) { return false; });
  }

  // The error message for `text`, which must fail.
  std::string error_for(const std::string& text) {
    ServerSettings settings;
    auto result = apply(text, settings);
    EXPECT_FALSE(result) << text;
    return result ? std::string() : result.error().message;
  }

  test::TempDir tmp_{"sfs-config"};
  const fs::path dir_ = tmp_.path();
  fs::path file_;
};

TEST_F(ConfigFileTest, SetsEveryKind) {
  ServerSettings s;
  ASSERT_TRUE(
      apply("# a comment\n"
            "host = \"0.0.0.0\"\n"
            "port = 9100\n"
            "storage = \"/srv/sfs\"\n"
            "tls12 = true\n"
            "idle-timeout = 60\n"
            "max-connections = 64\n"
            "max-file-size = 1099511627777\n"
            "log-format = \"json\"\n"
            "run-as = \"sfs\"\n",
            s));
  EXPECT_EQ(s.config.host, "0.0.0.0");
  EXPECT_EQ(s.config.port, 9100);
  EXPECT_EQ(s.config.storage_dir, fs::path("/srv/sfs"));
  EXPECT_TRUE(s.config.allow_tls12);
  EXPECT_EQ(s.config.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(s.config.max_connections, 64U);
  EXPECT_EQ(s.config.max_file_bytes, 1099511627777ULL);
  EXPECT_EQ(s.log_format, LogFormat::kJson);
  EXPECT_EQ(s.run_as, "sfs");
  // Untouched keys keep their defaults.
  EXPECT_EQ(s.config.auth_file, fs::path("id_passwd.txt"));
  EXPECT_EQ(s.config.login_timeout, std::chrono::seconds(30));
}

TEST_F(ConfigFileTest, EmptyFileChangesNothing) {
  ServerSettings s;
  ASSERT_TRUE(apply("", s));
  EXPECT_EQ(format_settings(s), format_settings(ServerSettings{}));
}

TEST_F(ConfigFileTest, CommandLineWinsButOverriddenKeysAreStillChecked) {
  write("port = 9100\nhost = \"::1\"\n");
  ServerSettings s;
  s.config.port = 7000;  // as the flag set it
  auto only_port = [](std::string_view key) { return key == "port"; };
  ASSERT_TRUE(apply_config_file(file_, s, only_port));
  EXPECT_EQ(s.config.port, 7000);
  EXPECT_EQ(s.config.host, "::1");

  write("port = 70000\n");
  auto bad = apply_config_file(file_, s, only_port);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("port: must be between 0 and 65535"), std::string::npos);
  EXPECT_EQ(s.config.port, 7000);
}

TEST_F(ConfigFileTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(error_for("port = 1\n\nprot = 2\n"),
            file_.string() + ":3: prot: unknown setting (see sfs-server --help)");
}

TEST_F(ConfigFileTest, TablesAreUnknownKeys) {
  EXPECT_EQ(error_for("[server]\nport = 1\n"),
            file_.string() + ":1: server: unknown setting (see sfs-server --help)");
}

TEST_F(ConfigFileTest, WrongTypes) {
  EXPECT_EQ(error_for("port = \"9001\"\n"),
            file_.string() + ":1: port: expected an integer, got a string");
  EXPECT_EQ(error_for("tls12 = 1\n"),
            file_.string() + ":1: tls12: expected true or false, got an integer");
  EXPECT_EQ(error_for("host = 127\n"),
            file_.string() + ":1: host: expected a string, got an integer");
  EXPECT_EQ(error_for("storage = [\"a\"]\n"),
            file_.string() + ":1: storage: expected a string (a path), got an array");
  EXPECT_EQ(error_for("idle-timeout = 1.5\n"),
            file_.string() + ":1: idle-timeout: expected an integer, got a floating-point number");
  EXPECT_EQ(error_for("log-format = true\n"),
            file_.string() + ":1: log-format: expected \"text\" or \"json\", got a boolean");
}

TEST_F(ConfigFileTest, OutOfRange) {
  EXPECT_EQ(error_for("port = -1\n"),
            file_.string() + ":1: port: must be between 0 and 65535 (got -1)");
  EXPECT_EQ(error_for("max-login-attempts = 0\n"),
            file_.string() + ":1: max-login-attempts: must be between 1 and 100 (got 0)");
  EXPECT_EQ(error_for("max-line = 100\n"),
            file_.string() + ":1: max-line: must be between 512 and 16384 (got 100)");
  EXPECT_EQ(
      error_for("io-timeout = 31536001\n"),
      file_.string() + ":1: io-timeout: must be between 0 and 31536000 seconds (got 31536001)");
  EXPECT_EQ(error_for("log-format = \"xml\"\n"),
            file_.string() + ":1: log-format: must be \"text\" or \"json\" (got \"xml\")");
  EXPECT_EQ(error_for("storage = \"\"\n"), file_.string() + ":1: storage: must not be empty");
}

TEST_F(ConfigFileTest, SyntaxErrorsNameLineAndColumn) {
  const std::string message = error_for("port = 1\nhost = \n");
  EXPECT_EQ(message.rfind(file_.string() + ":2:", 0), 0U) << message;
  const std::string duplicate = error_for("port = 1\nport = 2\n");
  EXPECT_EQ(duplicate.rfind(file_.string() + ":2:", 0), 0U) << duplicate;
  EXPECT_EQ(duplicate.find('\n'), std::string::npos) << duplicate;
}

TEST_F(ConfigFileTest, UnreadableFiles) {
  ServerSettings s;
  auto missing = apply_config_file(dir_ / "nope.toml", s, [](std::string_view) { return false; });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            (dir_ / "nope.toml").string() + ": cannot read: No such file or directory");
  auto directory = apply_config_file(dir_, s, [](std::string_view) { return false; });
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, dir_.string() + ": cannot read: is a directory");
  EXPECT_NE(error_for(std::string(2U << 20, '#')).find("larger than 1 MiB"), std::string::npos);
}

TEST_F(ConfigFileTest, FormatListsEveryKeyOnceAndReadsBack) {
  ServerSettings s;
  s.config.host = "with \"quotes\" and \\ backslash";
  s.config.storage_dir = "/srv/sfs store";
  s.config.quota_bytes = 123;
  s.log_format = LogFormat::kJson;
  const std::string text = format_settings(s);
  std::set<std::string> seen;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size(); ++lines) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    seen.insert(line.substr(0, line.find(" = ")));
    at = end + 1;
  }
  EXPECT_EQ(lines, setting_keys().size());
  EXPECT_EQ(seen.size(), lines);
  EXPECT_NE(text.find("host = \"with \\\"quotes\\\" and \\\\ backslash\"\n"), std::string::npos);
  EXPECT_NE(text.find("log-format = \"json\"\n"), std::string::npos);

  ServerSettings back;
  ASSERT_TRUE(apply(text, back));
  EXPECT_EQ(format_settings(back), text);
}

}  // namespace
}  // namespace sfs::server
