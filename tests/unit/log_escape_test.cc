#include "server/log_escape.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sfs::server {
namespace {

TEST(LogEscape, PlainTextIsKept) {
  EXPECT_EQ(escape_for_text_log(""), "");
  EXPECT_EQ(escape_for_text_log("user=alice path=a%20b.txt"), "user=alice path=a%20b.txt");
  // Printable non-ASCII text stays readable.
  EXPECT_EQ(escape_for_text_log("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(json_escape("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(LogEscape, C0AndDelBecomeByteEscapes) {
  EXPECT_EQ(escape_for_text_log("a\nb\rc\td\x1B[2Je\x7F"), "a\\x0ab\\x0dc\\x09d\\x1b[2Je\\x7f");
  EXPECT_EQ(escape_for_text_log(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(json_escape("a\nb\x1B\x7F"), "a\\u000ab\\u001b\\u007f");
}

TEST(LogEscape, C1Controls) {
  // U+009B (CSI) and U+0085 (NEL) as UTF-8.
  EXPECT_EQ(escape_for_text_log("a\xC2\x9B"
                                "2Jb\xC2\x85"),
            "a\\u009b2Jb\\u0085");
  EXPECT_EQ(json_escape("a\xC2\x9B"), "a\\u009b");
  for (char32_t cp = 0x80; cp <= 0x9F; ++cp) {
    EXPECT_TRUE(is_hidden_or_control(cp)) << static_cast<unsigned>(cp);
  }
  EXPECT_FALSE(is_hidden_or_control(0xA0));  // no-break space is visible spacing
  EXPECT_FALSE(is_hidden_or_control(0xE9));
}

TEST(LogEscape, BidiOverridesAndIsolates) {
  // "report<RLO>txt.exe" would read "reportexe.txt".
  EXPECT_EQ(escape_for_text_log("report\xE2\x80\xAEtxt.exe"), "report\\u202etxt.exe");
  EXPECT_EQ(json_escape("report\xE2\x80\xAEtxt.exe"), "report\\u202etxt.exe");
  for (char32_t cp : {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
                      0x200E, 0x200F, 0x061C}) {
    EXPECT_TRUE(is_hidden_or_control(cp)) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST(LogEscape, InvisibleFormatCharacters) {
  for (char32_t cp : {0x00AD, 0x200B, 0x200C, 0x200D, 0x2028, 0x2029, 0x2060, 0x2064, 0xFEFF,
                      0xFFF9, 0xFE0F, 0x180E, 0x3164, 0xE0001, 0xE0041, 0xE007F, 0xE0100}) {
    EXPECT_TRUE(is_hidden_or_control(cp)) << std::hex << static_cast<unsigned>(cp);
  }
  for (char32_t cp : {0x41, 0x2027, 0x2030, 0x2070, 0xFFFD, 0x1F600, 0x10FFFF}) {
    EXPECT_FALSE(is_hidden_or_control(cp)) << std::hex << static_cast<unsigned>(cp);
  }
  // A tag character (hidden ASCII "A") past U+FFFF.
  EXPECT_EQ(escape_for_text_log("x\xF3\xA0\x81\x81y"), "x\\U000e0041y");
  EXPECT_EQ(json_escape("x\xF3\xA0\x81\x81y"), "x\\udb40\\udc41y");
  EXPECT_EQ(escape_for_text_log("\xE2\x80\x8B\xEF\xBB\xBF"), "\\u200b\\ufeff");
}

TEST(LogEscape, InvalidUtf8BecomesByteEscapes) {
  EXPECT_EQ(escape_for_text_log("a\x9B"
                                "b"),
            "a\\x9bb");                                                        // a lone C1 byte
  EXPECT_EQ(escape_for_text_log("\xC3"), "\\xc3");                             // truncated
  EXPECT_EQ(escape_for_text_log("\xC0\xAF"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(escape_for_text_log("\xED\xA0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(escape_for_text_log("\xF4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(escape_for_text_log("\xE2\x80"
                                "A"),
            "\\xe2\\x80A");  // cut short by an ASCII byte
  EXPECT_EQ(json_escape("a\x9B"
                        "b"),
            "a\\\\x9bb");
}

TEST(LogEscape, BackslashesAndQuotes) {
  // The text log doubles a backslash, so "\u202e" typed by a user cannot
  // pass for an escaped U+202E.
  EXPECT_EQ(escape_for_text_log("a\\u202e\"b\""), "a\\\\u202e\"b\"");
  EXPECT_EQ(json_escape("a\\b\"c"), "a\\\\b\\\"c");
}

// Whatever the input, the output holds no byte of a control or of an
// invalid sequence: only printable ASCII and the kept UTF-8 text.
TEST(LogEscape, RandomBytesNeverLeakRaw) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 20000; ++round) {
    std::string input(rng() % 24, '\0');
    for (char& c : input) {
      c = static_cast<char>(rng() & 0xFF);
    }
    for (const std::string& out : {escape_for_text_log(input), json_escape(input)}) {
      for (std::size_t i = 0; i < out.size(); ++i) {
        const auto u = static_cast<unsigned char>(out[i]);
        ASSERT_FALSE(u < 0x20 || u == 0x7F) << "round " << round;
        // C1 as UTF-8 (C2 80..9F) never survives.
        ASSERT_FALSE(u == 0xC2 && i + 1 < out.size() &&
                     static_cast<unsigned char>(out[i + 1]) <= 0x9F)
            << "round " << round;
      }
    }
  }
}

}  // namespace
}  // namespace sfs::server
