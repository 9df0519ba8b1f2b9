#include "server/settings.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "server/config_file.h"
#include "test_util.h"

namespace sfs::server {
namespace {

// Parses `args` (after the program name) into fresh settings; the error
// CLI11 reports, or "" when they parsed.
std::string parse(std::vector<std::string> args, ServerSettings& settings) {
  CLI::App app{"test"};
  add_setting_flags(app, settings);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return {};
}

// Applies TOML `text` to `settings`; the error, or "" when it applied.
std::string apply_toml(const std::string& text, ServerSettings& settings) {
  test::TempDir dir{"sfs-settings"};
  const auto file = dir.path() / "s.toml";
  std::ofstream(file) << text;
  auto ok = apply_config_file(file, settings, [](std::string_view) { return false; });
  return ok ? std::string() : ok.error().message;
}

TEST(SettingsTable, KeysAreUniqueAndDocumented) {
  std::set<std::string_view> keys;
  for (const Setting& s : setting_table()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key;
    EXPECT_FALSE(s.help.empty()) << s.key;
    EXPECT_EQ(find_setting(s.key), &s);
  }
  EXPECT_EQ(find_setting("no-such-setting"), nullptr);
}

TEST(SettingsTable, NoFlagsKeepTheDefaults) {
  ServerSettings s;
  ASSERT_EQ(parse({}, s), "");
  EXPECT_EQ(format_settings(s), format_settings(ServerSettings{}));
}

// Each default, as --check-config prints it, given back as a flag, changes
// nothing: the command line reads what the file format writes.
TEST(SettingsTable, EveryDefaultReadsBackAsAFlag) {
  const ServerSettings defaults;
  for (const Setting& s : setting_table()) {
    if (s.value_name.empty()) {
      continue;  // a switch takes no value
    }
    std::string value = s.show(defaults);
    if (value.size() >= 2 && value.front() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty()) {
      continue;
    }
    ServerSettings parsed;
    ASSERT_EQ(parse({"--" + std::string(s.key), value}, parsed), "") << s.key;
    EXPECT_EQ(s.show(parsed), s.show(defaults)) << s.key;
  }
}

TEST(SettingsTable, FlagAndFileGiveTheSameSettings) {
  ServerSettings by_flags;
  ASSERT_EQ(parse({"--port", "9100", "--storage", "/srv/sfs", "--idle-timeout", "60", "--tls12",
                   "--log-format", "json", "--run-as", "sfs", "--quota-files", "7"},
                  by_flags),
            "");
  ServerSettings by_file;
  ASSERT_EQ(apply_toml("port = 9100\nstorage = \"/srv/sfs\"\nidle-timeout = 60\ntls12 = true\n"
                       "log-format = \"json\"\nrun-as = \"sfs\"\nquota-files = 7\n",
                       by_file),
            "");
  EXPECT_EQ(format_settings(by_flags), format_settings(by_file));
  EXPECT_NE(format_settings(by_flags), format_settings(ServerSettings{}));
}

TEST(SettingsTable, FlagAndFileRefuseTheSameRanges) {
  const std::vector<std::pair<std::string, std::string>> out_of_range = {
      {"port", "65536"},
      {"https-port", "65536"},
      {"max-http-header", "100"},
      {"threads", "4097"},
      {"max-login-attempts", "0"},
      {"max-line", "100"},
      {"io-timeout", "31536001"},
      {"max-transfer-memory", "1"},
      {"max-concurrent-hashing", "65"},
  };
  for (const auto& [key, value] : out_of_range) {
    ServerSettings s;
    EXPECT_NE(parse({"--" + key, value}, s), "") << key;
    EXPECT_NE(apply_toml(key + " = " + value + "\n", s), "") << key;
  }
}

TEST(SettingsTable, FlagErrorsSayTheRange) {
  ServerSettings s;
  EXPECT_NE(parse({"--port", "70000"}, s).find("70000 not in range 0 to 65535"), std::string::npos);
  EXPECT_NE(parse({"--log-format", "xml"}, s).find("xml"), std::string::npos);
}

TEST(SettingsTable, ProxyProtocolFromTakesAddressesAndBlocksOnly) {
  ServerSettings by_flag;
  ASSERT_EQ(parse({"--proxy-protocol-from", "10.0.0.5, 10.1.0.0/16,::1"}, by_flag), "");
  EXPECT_EQ(by_flag.config.proxy_protocol_from, "10.0.0.5, 10.1.0.0/16,::1");
  ServerSettings by_file;
  ASSERT_EQ(apply_toml("proxy-protocol-from = \"10.0.0.5, 10.1.0.0/16,::1\"\n", by_file), "");
  EXPECT_EQ(format_settings(by_flag), format_settings(by_file));
  EXPECT_EQ(ServerSettings{}.config.proxy_protocol_from, "");  // off by default
  for (const std::string bad : {"haproxy.internal", "10.0.0.0/33", "10.0.0.1,,10.0.0.2"}) {
    ServerSettings s;
    EXPECT_NE(parse({"--proxy-protocol-from", bad}, s), "") << bad;
    EXPECT_NE(apply_toml("proxy-protocol-from = \"" + bad + "\"\n", s), "") << bad;
  }
  ServerSettings s;
  EXPECT_NE(apply_toml("proxy-protocol-from = 10\n", s), "");
}

}  // namespace
}  // namespace sfs::server
