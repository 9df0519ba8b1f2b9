#include "client/view_format.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sfs::client {
namespace {

using namespace std::string_literals;

TEST(LooksLikeText, PlainAndUtf8Text) {
  EXPECT_TRUE(looks_like_text(""));
  EXPECT_TRUE(looks_like_text("hello\n"));
  EXPECT_TRUE(looks_like_text("a\tb\r\nc"));
  EXPECT_TRUE(looks_like_text("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(looks_like_text("\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));  // U+FFFF, U+10FFFF
}

TEST(LooksLikeText, ControlCharactersAreBinary) {
  EXPECT_FALSE(looks_like_text("a\0b"s));
  EXPECT_FALSE(looks_like_text("\x1B[2J"));  // an escape sequence
  EXPECT_FALSE(looks_like_text("bell\x07"));
  EXPECT_FALSE(looks_like_text("del\x7F"));
  EXPECT_FALSE(looks_like_text("c1 \xC2\x9B"));  // U+009B, the 8-bit CSI
  EXPECT_FALSE(looks_like_text("\f"));
}

TEST(LooksLikeText, InvalidUtf8IsBinary) {
  EXPECT_FALSE(looks_like_text("\xFF"));
  EXPECT_FALSE(looks_like_text("\x80"));
  EXPECT_FALSE(looks_like_text("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(looks_like_text("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(looks_like_text("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(looks_like_text("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(looks_like_text("\xC3x"));             // lead without continuation
  EXPECT_FALSE(looks_like_text("\xE2\x82x"));
}

TEST(LooksLikeText, CutOffCharacterAtTheEndIsText) {
  EXPECT_TRUE(looks_like_text("euro \xE2\x82"));
  EXPECT_TRUE(looks_like_text("smile \xF0\x9F\x98"));
  EXPECT_TRUE(looks_like_text("\xC3"));
  // ... but not when the part that is there is already wrong.
  EXPECT_FALSE(looks_like_text("\xED\xA0"));  // a surrogate
  EXPECT_FALSE(looks_like_text("\xE0\x80"));  // an overlong
  EXPECT_FALSE(looks_like_text("\xF4\x90"));  // past U+10FFFF
}

TEST(HexDump, FullAndPartialLines) {
  EXPECT_EQ(hex_dump("", 0), "");
  EXPECT_EQ(hex_dump("Hello, world! 0123", 0),
            "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 2120 3031  Hello, world! 01\n"
            "00000010: 3233                                     23\n");
  EXPECT_EQ(hex_dump(std::string("short\0\xFF", 7) + "binary", 0),
            "00000000: 7368 6f72 7400 ff62 696e 6172 79         short..binary\n");
  EXPECT_EQ(hex_dump("\x7F~ \x1B", 0x1230),
            "00001230: 7f7e 201b                                .~ .\n");
}

TEST(HexDump, LongOffsetsWiden) {
  EXPECT_EQ(hex_dump("A", 0x123456789ULL),
            "123456789: 41                                       A\n");
}

std::string view_all(std::string_view data, std::size_t chunk) {
  TerminalView view;
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    out += view.feed(data.substr(i, chunk));
  }
  return out + view.finish();
}

TEST(TerminalView, TextPassesThroughWithAFinalNewline) {
  EXPECT_EQ(view_all("hello\nworld\n", 3), "hello\nworld\n");
  EXPECT_EQ(view_all("no newline", 4), "no newline\n");
  EXPECT_EQ(view_all("", 1), "");
}

TEST(TerminalView, BinaryBecomesAHexDumpWhateverTheChunks) {
  std::mt19937 rng(3);
  std::string data(1000, '\0');
  for (char& c : data) {
    c = static_cast<char>(rng());
  }
  const std::string expected = hex_dump(data, 0);
  for (std::size_t chunk : {1, 7, 16, 100, 999, 1000, 4096}) {
    EXPECT_EQ(view_all(data, chunk), expected) << chunk;
  }
}

TEST(TerminalView, DecidesOnTheFirstPartThenKeepsTheMode) {
  // Text first, then binary past the sniffed part: stays text, controls shown as '.'.
  std::string text(TerminalView::kSniffBytes, 'a');
  EXPECT_EQ(view_all(text + "\x1B[2J\0z"s, 4096), text + ".[2J.z\n");
  // Binary first, then text: the whole is a hex dump with running offsets.
  std::string binary = "\0"s + std::string(TerminalView::kSniffBytes + 20, 'b');
  EXPECT_EQ(view_all(binary, 5000), hex_dump(binary, 0));
}

}  // namespace
}  // namespace sfs::client
