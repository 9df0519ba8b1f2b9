// docs/man/sfs.1 against the command table, so that the page cannot drift
// from the commands: its COMMANDS section lists exactly the commands of the
// command line, SHELL COMMANDS exactly the shell's own; each entry starts
// with the command's usage (placeholders in lower case), and its text names
// every alias and every spelling of every flag.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client/command_table.h"

namespace sfs::client {
namespace {

// One .TP entry of a section: its first line and all its text, rendered.
struct ManEntry {
  std::string synopsis;
  std::string text;
};

// The arguments of a macro line: words, or "..." quoted.
std::vector<std::string> macro_args(const std::string& rest) {
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == ' ') {
      ++i;
    } else if (rest[i] == '"') {
      const std::size_t end = rest.find('"', i + 1);
      args.push_back(rest.substr(i + 1, end - i - 1));
      i = end == std::string::npos ? rest.size() : end + 1;
    } else {
      const std::size_t end = std::min(rest.find(' ', i), rest.size());
      args.push_back(rest.substr(i, end - i));
      i = end;
    }
  }
  return args;
}

// Drops font changes and turns \- into -.
std::string plain(const std::string& troff) {
  std::string out;
  for (std::size_t i = 0; i < troff.size(); ++i) {
    if (troff.compare(i, 2, "\\f") == 0 && i + 2 < troff.size()) {
      i += 2;
    } else if (troff.compare(i, 2, "\\-") == 0) {
      out += '-';
      ++i;
    } else {
      out += troff[i];
    }
  }
  return out;
}

// A line as the reader sees it: .B and .I join their words with spaces,
// .BR, .BI and the like without.
std::string render(const std::string& line) {
  if (line.empty() || line[0] != '.') {
    return plain(line);
  }
  const std::size_t space = line.find(' ');
  const std::string macro = line.substr(1, space == std::string::npos ? line.size() : space - 1);
  if (space == std::string::npos || !(macro == "B" || macro == "I" || macro.size() == 2)) {
    return "";
  }
  std::string out;
  for (const std::string& arg : macro_args(line.substr(space + 1))) {
    out += (macro.size() == 1 && !out.empty() ? " " : "") + arg;
  }
  return plain(out);
}

std::map<std::string, ManEntry> man_section(const std::string& title) {
  std::ifstream page(SFS_SOURCE_DIR "/docs/man/sfs.1");
  EXPECT_TRUE(page.good());
  std::map<std::string, ManEntry> entries;
  std::string line;
  bool inside = false;
  ManEntry* entry = nullptr;
  bool synopsis_next = false;
  while (std::getline(page, line)) {
    if (line.starts_with(".SH ")) {
      inside = line == ".SH " + title;
      entry = nullptr;
    } else if (inside && line == ".TP") {
      synopsis_next = true;
    } else if (inside && synopsis_next) {
      const std::string synopsis = render(line);
      entry = &entries[synopsis.substr(0, synopsis.find(' '))];
      entry->synopsis = synopsis;
      synopsis_next = false;
    } else if (entry != nullptr) {
      entry->text += " " + render(line);
    }
  }
  return entries;
}

// Placeholders (words of two or more capitals, "LOCAL") in lower case.
std::string lower_placeholders(const std::string& usage) {
  std::istringstream words(usage);
  std::string word;
  std::string out;
  while (words >> word) {
    const std::size_t start = word.find_first_not_of("[");
    const std::size_t end = word.find_last_not_of("]");
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
