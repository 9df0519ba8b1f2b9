#include "client/words.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace sfs::client {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view line) {
  auto words = split_words(line);
  EXPECT_TRUE(words.ok()) << line << ": " << words.error().message;
  return words ? *words : Words{};
}

std::string failure(std::string_view line) {
  auto words = split_words(line);
  EXPECT_FALSE(words.ok()) << line;
  if (words) {
    return {};
  }
  EXPECT_EQ(words.error().code, Errc::kBadRequest);
  return words.error().message;
}

TEST(SplitWords, BlanksSeparateWords) {
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split("   \t "), Words{});
  EXPECT_EQ(split("ls"), Words{"ls"});
  EXPECT_EQ(split("  put  a.txt\tb.txt  "), (Words{"put", "a.txt", "b.txt"}));
}

TEST(SplitWords, Quotes) {
  EXPECT_EQ(split(R"(put "my file.txt" 'a b')"), (Words{"put", "my file.txt", "a b"}));
  EXPECT_EQ(split(R"('it''s' "x"'y'z)"), (Words{"its", "xyz"}));
  EXPECT_EQ(split(R"('a "b" c' "d 'e' f")"), (Words{R"(a "b" c)", "d 'e' f"}));
  EXPECT_EQ(split(R"(get "" '' x)"), (Words{"get", "", "", "x"}));
  EXPECT_EQ(split(R"('back\slash')"), (Words{R"(back\slash)"}));
}

TEST(SplitWords, Escapes) {
  EXPECT_EQ(split(R"(a\ b c\\d \'e\")"), (Words{"a b", R"(c\d)", R"('e")"}));
  EXPECT_EQ(split(R"("say \"hi\" \\ \n")"), (Words{R"(say "hi" \ \n)"}));
  EXPECT_EQ(split(R"(\x\#)"), (Words{"x#"}));
}

TEST(SplitWords, BytesPassThrough) {
  EXPECT_EQ(split("caf\xC3\xA9 \xFF"), (Words{"caf\xC3\xA9", "\xFF"}));
}

TEST(SplitWords, Errors) {
  EXPECT_EQ(failure(R"(put "my file.txt)"), "unterminated double quote");
  EXPECT_EQ(failure("put 'a b"), "unterminated single quote");
  EXPECT_EQ(failure(R"(put "a\")"), "unterminated double quote");
  EXPECT_EQ(failure("put a\\"), "backslash at the end of the line");
  EXPECT_EQ(failure(std::string(kMaxCommandLineBytes + 1, 'a')),
            "command line too long (at most 16384 bytes)");
  std::string many;
  for (std::size_t i = 0; i <= kMaxWords; ++i) {
    many += "w ";
  }
  EXPECT_EQ(failure(many), "too many words (at most 256)");
}

TEST(SplitWords, LimitsAreInclusive) {
  EXPECT_EQ(split(std::string(kMaxCommandLineBytes, 'a')).size(), 1U);
  std::string many;
  for (std::size_t i = 0; i < kMaxWords; ++i) {
    many += "w ";
  }
  EXPECT_EQ(split(many).size(), kMaxWords);
}

TEST(QuoteWord, RoundTrips) {
  for (const std::string word : {"plain", "my file.txt", "it's", R"(say "hi")", R"(a\b)",
                                 "tab\there", "  lead", "caf\xC3\xA9"}) {
    EXPECT_EQ(split(quote_word(word)), Words{word}) << word;
  }
  EXPECT_EQ(quote_word("a b"), R"(a\ b)");
}

TEST(QuoteWord, RandomRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string word;
    const std::size_t n = 1 + rng() % 20;
    for (std::size_t k = 0; k < n; ++k) {
      static constexpr char kAlphabet[] = "ab '\"\\\t$#.";
      word.push_back(kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    }
    EXPECT_EQ(split(quote_word(word)), Words{word}) << word;
  }
}

TEST(SplitWords, AHashStartingAWordStartsAComment) {
  EXPECT_EQ(split("cd docs   # the server must have docs/"), (Words{"cd", "docs"}));
  EXPECT_EQ(split("# all of it"), Words{});
  EXPECT_EQ(split("put a#b '#c' \\#d \"#\""), (Words{"put", "a#b", "#c", "#d", "#"}));
  EXPECT_EQ(split("ls #'unterminated"), Words{"ls"});
}

TEST(SplitCommandLine, UnquotedGlobCharactersMakeAPattern) {
  auto words = split_command_line(R"(get *.txt '*.md' a\?b "x"[ab]* plain)");
  ASSERT_TRUE(words);
  ASSERT_EQ(words->size(), 6u);
  EXPECT_EQ((*words)[0].glob, "");
  EXPECT_EQ((*words)[1].text, "*.txt");
  EXPECT_EQ((*words)[1].glob, "*.txt");
  EXPECT_EQ((*words)[2].text, "*.md");
  EXPECT_EQ((*words)[2].glob, "");  // quoted: a name
  EXPECT_EQ((*words)[3].text, "a?b");
  EXPECT_EQ((*words)[3].glob, "");
  EXPECT_EQ((*words)[4].text, "x[ab]*");
  EXPECT_EQ((*words)[4].glob, "x[ab]*");
  EXPECT_EQ((*words)[5].glob, "");
  words = split_command_line(R"(rm 'a*'*)");
  ASSERT_TRUE(words);
  EXPECT_EQ((*words)[1].text, "a**");
  EXPECT_EQ((*words)[1].glob, "a\\**");  // the quoted star stays a star
}

TEST(QuoteWord, GlobCharactersAndALeadingHashStayLiteral) {
  for (const std::string word : {"*.txt", "#notes", "a?[b]", "x#y"}) {
    auto words = split_command_line(quote_word(word));
    ASSERT_TRUE(words) << word;
    ASSERT_EQ(words->size(), 1u) << word;
    EXPECT_EQ((*words)[0].text, word);
    EXPECT_EQ((*words)[0].glob, "") << word;
  }
}

}  // namespace
}  // namespace sfs::client
