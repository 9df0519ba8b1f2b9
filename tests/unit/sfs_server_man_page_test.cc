// docs/man/sfs-server.8 against the settings table, so that the page cannot
// drift from the flags: its OPTIONS section lists exactly the table's
// settings plus sfs-server's own --config, --check-config, --help and
// --version; each
// entry starts with the flag and the table's placeholder, and says the
// setting's default.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "man_page.h"
#include "server/settings.h"

namespace sfs::server {
namespace {

constexpr const char* kPage = SFS_SOURCE_DIR "/docs/man/sfs-server.8";

// Entries of OPTIONS that are not settings: they say where the settings are
// or what to do ("-h, --help" is keyed by its first word).
const std::set<std::string> kNotSettings = {"--config", "--check-config", "-h,", "--version"};

std::string unquoted(const std::string& toml) {
  return toml.size() >= 2 && toml.front() == '"' ? toml.substr(1, toml.size() - 2) : toml;
}

TEST(SfsServerManPage, OptionsAreTheSettingsTable) {
  const auto entries = test::man_section(kPage, "OPTIONS");
  std::set<std::string> expected = kNotSettings;
  const ServerSettings defaults;
  for (const Setting& s : setting_table()) {
    const std::string flag = "--" + std::string(s.key);
    expected.insert(flag);
    auto it = entries.find(flag);
    ASSERT_TRUE(it != entries.end()) << flag << " is missing from OPTIONS in sfs-server.8";
    const std::string synopsis =
        s.value_name.empty() ? flag : flag + " " + std::string(s.value_name);
    EXPECT_EQ(it->second.synopsis, synopsis) << flag;
    const std::string value = unquoted(s.show(defaults));
    if (!s.value_name.empty() && !value.empty()) {
      EXPECT_NE(it->second.text.find("default " + value), std::string::npos)
          << flag << ": sfs-server.8 should say \"default " << value << "\"";
    }
  }
  for (const auto& [name, entry] : entries) {
    EXPECT_TRUE(expected.contains(name))
        << "OPTIONS in sfs-server.8 lists " << name << ", which the settings table has not";
  }
}

}  // namespace
}  // namespace sfs::server
