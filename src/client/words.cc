#include "client/words.h"

#include <optional>

namespace sfs::client {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool is_glob_char(char c) { return c == '*' || c == '?' || c == '['; }

// Builds the words while split_command_line walks the line: each word's text
// and, beside it, its pattern, in which quoted characters are escaped.
class Splitter {
 public:
  // A character typed as itself: a glob character here makes a pattern.
  void add_plain(char c) {
    add(c, false);
    globbed_ = globbed_ || is_glob_char(c);
  }
  // A quoted or backslash-escaped character: literal in the pattern too.
  void add_quoted(char c) { add(c, is_glob_char(c) || c == '\\' || c == ']'); }
  // A quote starts a word even if it turns out empty ("" is one empty word).
  void start_word() { in_word_ = true; }
  bool in_word() const { return in_word_; }
  void end_word() {
    if (in_word_) {
      words_.push_back({std::move(current_), globbed_ ? std::move(pattern_) : std::string()});
      current_.clear();
      pattern_.clear();
      in_word_ = false;
      globbed_ = false;
    }
  }
  std::size_t count() const { return words_.size(); }
  std::vector<Word> take() { return std::move(words_); }

 private:
  void add(char c, bool escape) {
    current_.push_back(c);
    if (escape) {
      pattern_.push_back('\\');
    }
    pattern_.push_back(c);
    in_word_ = true;
  }

  std::vector<Word> words_;
  std::string current_;
  std::string pattern_;
  bool in_word_ = false;
  bool globbed_ = false;
};

// Copies a quoted part that starts after the opening quote at `i`; returns the
// index of the closing quote, or nullopt when there is none.
std::optional<std::size_t> copy_quoted(std::string_view line, std::size_t i, char quote,
                                       Splitter& out) {
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (c == quote) {
      return i;
    }
    if (quote == '"' && c == '\\' && i + 1 < line.size() &&
        (line[i + 1] == '"' || line[i + 1] == '\\')) {
      ++i;
    }
    out.add_quoted(line[i]);
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Word>> split_command_line(std::string_view line) {
  if (line.size() > kMaxCommandLineBytes) {
    return make_error(Errc::kBadRequest, "command line too long (at most " +
                                             std::to_string(kMaxCommandLineBytes) + " bytes)");
  }
  Splitter out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (is_blank(c)) {
      out.end_word();
    } else if (c == '#' && !out.in_word()) {
      break;  // a comment, as in sh
    } else if (c == '\'' || c == '"') {
      out.start_word();
      auto close = copy_quoted(line, i + 1, c, out);
      if (!close) {
        return make_error(Errc::kBadRequest,
                          c == '"' ? "unterminated double quote" : "unterminated single quote");
      }
      i = *close;
    } else if (c == '\\') {
      if (i + 1 == line.size()) {
        return make_error(Errc::kBadRequest, "backslash at the end of the line");
      }
      out.add_quoted(line[++i]);
    } else {
      out.add_plain(c);
    }
    if (out.count() > kMaxWords) {
      return make_error(Errc::kBadRequest,
                        "too many words (at most " + std::to_string(kMaxWords) + ")");
    }
  }
  out.end_word();
  if (out.count() > kMaxWords) {
    return make_error(Errc::kBadRequest,
                      "too many words (at most " + std::to_string(kMaxWords) + ")");
  }
  return out.take();
}

Result<std::vector<std::string>> split_words(std::string_view line) {
  SFS_ASSIGN_OR_RETURN(auto words, split_command_line(line));
  std::vector<std::string> texts;
  texts.reserve(words.size());
  for (Word& w : words) {
    texts.push_back(std::move(w.text));
  }
  return texts;
}

std::string quote_word(std::string_view word) {
  std::string quoted;
  quoted.reserve(word.size());
  for (const char c : word) {
    if (is_blank(c) || c == '\'' || c == '"' || c == '\\' || is_glob_char(c) ||
        (c == '#' && quoted.empty())) {
      quoted.push_back('\\');
    }
    quoted.push_back(c);
  }
  return quoted;
}

}  // namespace sfs::client
