// docs/man/sfs.1 against the command table, so that the page cannot drift
// from the commands: its COMMANDS section lists exactly the commands of the
// command line, SHELL COMMANDS exactly the shell's own; each entry starts
// with the command's usage (placeholders in lower case), and its text names
// every alias and every spelling of every flag.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client/command_table.h"
#include "man_page.h"

namespace sfs::client {
namespace {

using test::ManEntry;
using test::render;

std::map<std::string, ManEntry> man_section(const std::string& title) {
  return test::man_section(SFS_SOURCE_DIR "/docs/man/sfs.1", title);
}

// Placeholders (words of two or more capitals, "LOCAL") in lower case.
std::string lower_placeholders(const std::string& usage) {
  std::istringstream words(usage);
  std::string word;
  std::string out;
  while (words >> word) {
    const std::size_t start = word.find_first_not_of("[");
    const std::size_t end = word.find_last_not_of("].");
    const std::string core = word.substr(start, end - start + 1);
    const bool placeholder = core.size() > 1 && std::all_of(core.begin(), core.end(), ::isupper);
    for (char& c : word) {
      c = placeholder ? static_cast<char>(std::tolower(c)) : c;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::set<std::string> words_of(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (const char c : text + " ") {
    if (std::string_view(" ,.;:()").find(c) != std::string_view::npos) {
      if (!word.empty()) {
        words.insert(word);
      }
      word.clear();
    } else {
      word += c;
    }
  }
  return words;
}

void check_section(const std::string& title, bool (*belongs)(const Command&)) {
  const std::map<std::string, ManEntry> entries = man_section(title);
  std::set<std::string> expected;
  for (const Command& c : command_table()) {
    if (!belongs(c)) {
      continue;
    }
    const std::string name(c.name);
    expected.insert(name);
    auto it = entries.find(name);
    ASSERT_TRUE(it != entries.end()) << name << " is missing from " << title << " in sfs.1";
    EXPECT_EQ(it->second.synopsis, lower_placeholders(c.usage())) << name;
    const std::set<std::string> words = words_of(it->second.text);
    for (const std::string_view alias : c.aliases) {
      EXPECT_TRUE(words.contains(std::string(alias))) << name << ": alias " << alias;
    }
    for (const Flag& f : c.flags) {
      for (const std::string_view spelled : {f.name, f.short_name}) {
        EXPECT_TRUE(spelled.empty() || words.contains(std::string(spelled)))
            << name << ": " << spelled;
      }
    }
  }
  for (const auto& [name, entry] : entries) {
    EXPECT_TRUE(expected.contains(name))
        << title << " in sfs.1 lists " << name << ", which the command table has not there";
  }
}

TEST(SfsManPage, CommandsAreTheCommandLinesCommands) {
  check_section("COMMANDS", [](const Command& c) { return c.available_in(kCommandLine); });
}

TEST(SfsManPage, ShellCommandsAreTheShellsOwn) {
  check_section("SHELL COMMANDS", [](const Command& c) {
    return c.available_in(kShell) && !c.available_in(kCommandLine);
  });
}

TEST(SfsManPage, RenderingOfTheEntries) {
  EXPECT_EQ(render(R"(.BR put " [" \-r "] \fIlocal\fP [\fIremote\fP]")"),
            "put [-r] local [remote]");
  EXPECT_EQ(render(R"(.BI view " remote " "\fR[\fB\-\-bytes\fR \fIN\fR]")"),
            "view remote [--bytes N]");
  EXPECT_EQ(render(".B verify"), "verify");
  EXPECT_EQ(lower_placeholders("ls [-l] [-R] [DIR]"), "ls [-l] [-R] [dir]");
}

}  // namespace
}  // namespace sfs::client
