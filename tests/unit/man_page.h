#pragma once
// Reading a hand-written man page (docs/man/*) the way its reader sees it,
// for the tests that check a page against the table it documents.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace sfs::test {

// One .TP entry of a section: its first line and all its text, rendered.
struct ManEntry {
  std::string synopsis;
  std::string text;
};

// The arguments of a macro line: words, or "..." quoted.
inline std::vector<std::string> macro_args(const std::string& rest) {
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
inline std::string plain(const std::string& troff) {
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
inline std::string render(const std::string& line) {
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

// The .TP entries of section `title` of `page`, keyed by the first word of
// their first line.
inline std::map<std::string, ManEntry> man_section(const std::string& page_file,
                                                   const std::string& title) {
  std::ifstream page(page_file);
  EXPECT_TRUE(page.good()) << page_file;
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

}  // namespace sfs::test
