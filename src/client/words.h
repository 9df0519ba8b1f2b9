#pragma once
// Splitting a command line into words the way a POSIX shell does, for the
// interactive shell and batch mode, and quoting a word back for completion.
//
//   split_words(R"(put "my file.txt" 'a b' c\ d  # why)")
//     -> {"put", "my file.txt", "a b", "c d"}
//   split_command_line("get *.txt '*.md'")
//     -> {{"get", ""}, {"*.txt", "*.txt"}, {"*.md", ""}}
//   quote_word("a b") -> R"(a\ b)"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::client {

// A command line longer than this is refused (the protocol's own line limit).
inline constexpr std::size_t kMaxCommandLineBytes = 16384;
inline constexpr std::size_t kMaxWords = 256;

// Splits `line` at unquoted blanks (space, tab). Inside '...' every byte is
// literal; inside "..." a backslash escapes only '"' and '\'; elsewhere a
// backslash escapes any byte. "" and '' make an empty word. An unquoted '#'
// at the start of a word starts a comment that runs to the end of the line
// (as in sh, so that `cd docs  # why` is `cd docs`).
// Fails with kBadRequest on an unterminated quote, a backslash at the end of
// the line, a line longer than kMaxCommandLineBytes or more than kMaxWords words.
Result<std::vector<std::string>> split_words(std::string_view line);

// A word of a command line, and the pattern it stands for when it has an
// unquoted glob character ('*', '?' or '['), as sh sees it.
struct Word {
  std::string text;  // the word, quotes and backslashes removed
  // Non-empty when the word is a pattern: in fnmatch(3) syntax, with every
  // quoted or escaped character of the word escaped by a backslash.
  std::string glob;
};

// split_words, keeping for each word the pattern it stands for.
Result<std::vector<Word>> split_command_line(std::string_view line);

// Escapes blanks, quotes, backslashes, glob characters and a leading '#'
// with a backslash, so that split_command_line(quote_word(w)) == {{w, ""}}
// for any non-empty w.
std::string quote_word(std::string_view word);

}  // namespace sfs::client
