#pragma once
// Splitting a command line into words the way a POSIX shell does, for the
// interactive shell and batch mode, and quoting a word back for completion.
//
//   split_words(R"(put "my file.txt" 'a b' c\ d)")
//     -> {"put", "my file.txt", "a b", "c d"}
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
// backslash escapes any byte. "" and '' make an empty word.
// Fails with kBadRequest on an unterminated quote, a backslash at the end of
// the line, a line longer than kMaxCommandLineBytes or more than kMaxWords words.
Result<std::vector<std::string>> split_words(std::string_view line);

// Escapes blanks, quotes and backslashes with a backslash, so that
// split_words(quote_word(w)) == {w} for any non-empty w.
std::string quote_word(std::string_view word);

}  // namespace sfs::client
