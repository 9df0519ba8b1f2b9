#include "client/words.h"

#include <optional>

namespace sfs::client {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Builds the words while split_words walks the line.
class Splitter {
 public:
  void add(char c) {
    current_.push_back(c);
    in_word_ = true;
  }
  // A quote starts a word even if it turns out empty ("" is one empty word).
  void start_word() { in_word_ = true; }
  void end_word() {
    if (in_word_) {
      words_.push_back(std::move(current_));
      current_.clear();
      in_word_ = false;
    }
  }
  std::size_t count() const { return words_.size(); }
  std::vector<std::string> take() { return std::move(words_); }

 private:
  std::vector<std::string> words_;
  std::string current_;
  bool in_word_ = false;
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
    out.add(line[i]);
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<std::string>> split_words(std::string_view line) {
  if (line.size() > kMaxCommandLineBytes) {
    return make_error(Errc::kBadRequest, "command line too long (at most " +
                                             std::to_string(kMaxCommandLineBytes) + " bytes)");
  }
  Splitter out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (is_blank(c)) {
      out.end_word();
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
      out.add(line[++i]);
    } else {
      out.add(c);
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

std::string quote_word(std::string_view word) {
  std::string quoted;
  quoted.reserve(word.size());
  for (const char c : word) {
    if (is_blank(c) || c == '\'' || c == '"' || c == '\\') {
      quoted.push_back('\\');
    }
    quoted.push_back(c);
  }
  return quoted;
}

}  // namespace sfs::client
