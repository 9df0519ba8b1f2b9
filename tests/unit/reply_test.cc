#include "protocol/reply.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace sfs::protocol {
namespace {

// XXH128 of "abc" and of nothing.
constexpr char kDigest[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kEmptyDigest[] = "99aa06d3014798d86001c324468d497f";

// The protocol pieces the garbage loops mix in, then the words of these replies.
// The order fixes what each seed generates.
constexpr std::string_view kOwnTokens[] = {"INTEGRITY",
                                           "ok",
                                           "corrupt",
                                           "unhashed",
                                           "unreadable",
                                           "-",
                                           "06b05ab6733a618578af5f94892f3950"};
constexpr auto kGarbageTokens = test::with_protocol_tokens(kOwnTokens);

struct CodeCase {
  Errc code;
  const char* wire;
};

// Every error class that travels, with its wire name.
constexpr CodeCase kWireCodes[] = {
    {Errc::kAuth, "AUTH"},
    {Errc::kBadRequest, "BADCMD"},
    {Errc::kBadPath, "BADPATH"},
    {Errc::kNotFound, "NOTFOUND"},
    {Errc::kIsDir, "ISDIR"},
    {Errc::kTooLarge, "TOOLARGE"},
    {Errc::kIo, "IO"},
    {Errc::kAborted, "ABORTED"},
    {Errc::kProtocol, "PROTOCOL"},
    {Errc::kIntegrity, "INTEGRITY"},
    {Errc::kInternal, "INTERNAL"},
};

std::string without_newline(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  return line.substr(0, line.size() - 1);
}

// ---- ok_line / error_line -----------------------------------------------------

TEST(OkLineTest, Lines) {
  EXPECT_EQ(ok_line(), "OK\n");
  EXPECT_EQ(ok_line({"42"}), "OK 42\n");
  EXPECT_EQ(ok_line({"1", "2", "abc"}), "OK 1 2 abc\n");
}

TEST(WireCodeTest, EveryCode) {
  for (const CodeCase& c : kWireCodes) {
    EXPECT_EQ(wire_code(c.code), c.wire);
  }
  // Client-only classes never travel; they map to INTERNAL.
  EXPECT_EQ(wire_code(Errc::kNetwork), "INTERNAL");
  EXPECT_EQ(wire_code(Errc::kTrust), "INTERNAL");
  EXPECT_EQ(wire_code(Errc::kLocal), "INTERNAL");
}

TEST(ErrorLineTest, Examples) {
  EXPECT_EQ(error_line(Errc::kNotFound, "no such file"), "ERR NOTFOUND no such file\n");
  EXPECT_EQ(error_line(Errc::kAuth, "login failed"), "ERR AUTH login failed\n");
  EXPECT_EQ(error_line(Errc::kProtocol, "line too long"), "ERR PROTOCOL line too long\n");
  EXPECT_EQ(error_line(Errc::kBadRequest, "unknown command"), "ERR BADCMD unknown command\n");
  EXPECT_EQ(error_line(Errc::kIntegrity, "upload does not match its digest; nothing stored"),
            "ERR INTEGRITY upload does not match its digest; nothing stored\n");
}

TEST(ErrorLineTest, SanitizesControlAndNonAsciiBytes) {
  EXPECT_EQ(error_line(Errc::kIo, "a\nb"), "ERR IO a?b\n");
  EXPECT_EQ(error_line(Errc::kIo, "a\r\nERR AUTH x"), "ERR IO a??ERR AUTH x\n");
  EXPECT_EQ(error_line(Errc::kIo, std::string("nul\0here", 8)), "ERR IO nul?here\n");
  EXPECT_EQ(error_line(Errc::kIo, "tab\tdel\x7F"), "ERR IO tab?del?\n");
  EXPECT_EQ(error_line(Errc::kIo, "caf\xC3\xA9"), "ERR IO caf??\n");
  for (int b = 0; b < 256; ++b) {
    const std::string message = "x" + std::string(1, static_cast<char>(b)) + "y";
    const std::string line = error_line(Errc::kIo, message);
    const bool printable = b >= 0x20 && b <= 0x7E;
    const std::string expected =
        std::string("ERR IO x") + (printable ? static_cast<char>(b) : '?') + "y\n";
    EXPECT_EQ(line, expected) << "byte " << b;
  }
}

TEST(ErrorLineTest, EmptyMessageStillWellFormed) {
  const std::string line = error_line(Errc::kInternal, "");
  EXPECT_EQ(line.back(), '\n');
  auto r = parse_reply(without_newline(line));
  ASSERT_TRUE(r.ok()) << line;
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->code, Errc::kInternal);
}

TEST(ErrorLineTest, BoundedLength) {
  const std::string huge(100000, 'm');
  const std::string line = error_line(Errc::kIo, huge);
  EXPECT_LE(line.size(), 1024U);
  EXPECT_TRUE(line.starts_with("ERR IO mmm"));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  // Still parses, and the message is a prefix of the original.
  auto r = parse_reply(without_newline(line));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, Errc::kIo);
  EXPECT_FALSE(r->message.empty());
  EXPECT_EQ(r->message, std::string(r->message.size(), 'm'));
  // A huge message full of newlines is one line.
  const std::string newlines = error_line(Errc::kIo, std::string(100000, '\n'));
  EXPECT_LE(newlines.size(), 1024U);
  EXPECT_EQ(newlines.find('\n'), newlines.size() - 1);
}

TEST(ErrorLineTest, RoundTripEveryCode) {
  for (const CodeCase& c : kWireCodes) {
    const std::string line = error_line(c.code, "some message");
    EXPECT_EQ(line, std::string("ERR ") + c.wire + " some message\n");
    auto r = parse_reply(without_newline(line));
    ASSERT_TRUE(r.ok()) << line;
    EXPECT_FALSE(r->ok);
    EXPECT_EQ(r->code, c.code) << c.wire;
    EXPECT_EQ(r->message, "some message");
    EXPECT_TRUE(r->fields.empty());
    const Error e = r->to_error();
    EXPECT_EQ(e.code, c.code);
    EXPECT_EQ(e.message, "some message");
  }
}

// ---- parse_reply --------------------------------------------------------------

TEST(ParseReplyTest, PlainOk) {
  auto r = parse_reply("OK");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_TRUE(r->fields.empty());
}

TEST(ParseReplyTest, OkWithFields) {
  auto one = parse_reply("OK 12");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->ok);
  EXPECT_EQ(one->fields, std::vector<std::string>({"12"}));
  auto three = parse_reply("OK 1 b%20c 3");
  ASSERT_TRUE(three.ok());
  EXPECT_TRUE(three->ok);
  EXPECT_EQ(three->fields, std::vector<std::string>({"1", "b%20c", "3"}));
}

TEST(ParseReplyTest, ErrOfEveryCode) {
  for (const CodeCase& c : kWireCodes) {
    const std::string line = std::string("ERR ") + c.wire + " it went wrong: 42";
    auto r = parse_reply(line);
    ASSERT_TRUE(r.ok()) << line;
    EXPECT_FALSE(r->ok);
    EXPECT_EQ(r->code, c.code) << line;
    EXPECT_EQ(r->message, "it went wrong: 42");
  }
}

TEST(ParseReplyTest, IntegrityMessage) {
  auto r = parse_reply("ERR INTEGRITY stored data does not match its digest");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->code, Errc::kIntegrity);
  EXPECT_EQ(r->message, "stored data does not match its digest");
  for (const char* line : {"ERR integrity x", "ERR INTEGRITYX x", "ERR INTEGRIT x"}) {
    auto bad = parse_reply(line);
    ASSERT_FALSE(bad.ok()) << "'" << line << "'";
    EXPECT_EQ(bad.error().code, Errc::kProtocol);
  }
}

TEST(ParseReplyTest, OkWithDigestFields) {
  // PUT's offer and GET's header carry digests as plain fields.
  auto offer = parse_reply(std::string("OK 5 ") + kDigest);
  ASSERT_TRUE(offer.ok());
  EXPECT_TRUE(offer->ok);
  EXPECT_EQ(offer->fields, std::vector<std::string>({"5", kDigest}));
  auto get = parse_reply("OK 12 - 0");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->fields, std::vector<std::string>({"12", "-", "0"}));
  EXPECT_EQ(ok_line({"600000", kDigest}), std::string("OK 600000 ") + kDigest + "\n");
}

TEST(ParseReplyTest, AuthFailedMessage) {
  auto r = parse_reply("ERR AUTH login failed");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->code, Errc::kAuth);
  EXPECT_EQ(r->message, "login failed");
}

TEST(ParseReplyTest, UnknownCodeIsProtocolError) {
  for (const char* line :
       {"ERR NOPE message", "ERR auth login failed", "ERR BADCMDX x", "ERR NETWORK x",
        "ERR TRUST x", "ERR LOCAL x", "ERR  AUTH x", "ERR", "ERR ", "ERR x", "ERR OK"}) {
    auto r = parse_reply(line);
    ASSERT_FALSE(r.ok()) << "'" << line << "'";
    EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

TEST(ParseReplyTest, GarbageIsProtocolError) {
  for (const std::string& line :
       {std::string(""),          std::string(" "),       std::string("ok"),
        std::string("Ok"),        std::string("OK "),     std::string("OK  x"),
        std::string("OK x "),     std::string("OK x  y"), std::string(" OK"),
        std::string("OKAY"),      std::string("OK\t1"),   std::string("OK\r"),
        std::string("OK 1\r"),    std::string("OK\n"),    std::string("OK 1\x01"),
        std::string("OK \x7F"),   std::string("SFS 1"),   std::string("HTTP/1.1 200 OK"),
        std::string("ERRAUTH x"), std::string("\0OK", 3), std::string("OK\0", 3)}) {
    auto r = parse_reply(line);
    ASSERT_FALSE(r.ok()) << "'" << line << "'";
    EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

TEST(ParseReplyTest, FieldBytesOutsideAsciiRejected) {
  // docs/protocol.md: "Every field consists of bytes 0x21-0x7E".
  for (const std::string& line :
       {std::string("OK \x80"), std::string("OK 1 \xC3\xA9"), std::string("OK \xFF")}) {
    auto r = parse_reply(line);
    ASSERT_FALSE(r.ok()) << "'" << line << "'";
    EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

// ---- entries ------------------------------------------------------------------

TEST(EntryTest, SerializeExact) {
  EXPECT_EQ(serialize_entry(Entry{'f', 12, 1700000000, "", "a b.txt"}),
            "f 12 1700000000 - a%20b.txt\n");
  EXPECT_EQ(serialize_entry(Entry{'f', 3, 1700000000, kDigest, "abc.txt"}),
            std::string("f 3 1700000000 ") + kDigest + " abc.txt\n");
  EXPECT_EQ(serialize_entry(Entry{'d', 4096, 0, "", "docs"}), "d 4096 0 - docs\n");
  EXPECT_EQ(serialize_entry(Entry{'f', 18446744073709551615ULL, 18446744073709551615ULL, "", "%"}),
            "f 18446744073709551615 18446744073709551615 - %25\n");
}

TEST(EntryTest, ParseExact) {
  auto plain = parse_entry("f 12 1700000000 - a%20b.txt");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->type, 'f');
  EXPECT_EQ(plain->size, 12U);
  EXPECT_EQ(plain->mtime, 1700000000U);
  EXPECT_EQ(plain->digest, "");
  EXPECT_EQ(plain->name, "a b.txt");
  auto hashed = parse_entry(std::string("f 0 5 ") + kEmptyDigest + " empty");
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(hashed->type, 'f');
  EXPECT_EQ(hashed->size, 0U);
  EXPECT_EQ(hashed->mtime, 5U);
  EXPECT_EQ(hashed->digest, kEmptyDigest);
  EXPECT_EQ(hashed->name, "empty");
  auto dir = parse_entry("d 4096 0 - docs");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->type, 'd');
  EXPECT_EQ(dir->digest, "");
  EXPECT_EQ(dir->name, "docs");
}

TEST(EntryTest, RoundTrip) {
  const std::vector<Entry> entries = {
      {'f', 0, 0, "", "a"},
      {'f', 0, 0, kEmptyDigest, "a"},
      {'d', 4096, 1700000000, "", "dir"},
      {'f', 18446744073709551615ULL, 18446744073709551615ULL, kDigest, "max"},
      {'f', 5, 6, "", "a b\nc%d"},
      {'f', 7, 8, kDigest, "caf\xC3\xA9 \xF0\x9F\x98\x80"},
      {'f', 9, 10, "", std::string("\x01\x7F\xFF", 3)},
      {'d', 1, 2, "", std::string(255, ' ')},
      {'f', 1, 2, kDigest, "-"},
      {'f', 1, 2, "", kDigest},
  };
  for (const Entry& e : entries) {
    const std::string line = serialize_entry(e);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    auto back = parse_entry(without_newline(line));
    ASSERT_TRUE(back.ok()) << line;
    EXPECT_EQ(back->type, e.type);
    EXPECT_EQ(back->size, e.size);
    EXPECT_EQ(back->mtime, e.mtime);
    EXPECT_EQ(back->digest, e.digest);
    EXPECT_EQ(back->name, e.name);
  }
}

TEST(EntryTest, ParseRejects) {
  for (const std::string& line : {std::string(""),
                                  std::string("f 1 2 -"),
                                  std::string("f 1 2 a"),  // the form before digests
                                  std::string("f 1 2 - a b"),
                                  std::string("x 1 2 - a"),
                                  std::string("F 1 2 - a"),
                                  std::string("ff 1 2 - a"),
                                  std::string("l 1 2 - a"),
                                  std::string("f -1 2 - a"),
                                  std::string("f 01 2 - a"),
                                  std::string("f 1 02 - a"),
                                  std::string("f 18446744073709551616 2 - a"),
                                  std::string("f 1 18446744073709551616 - a"),
                                  std::string("f 1 2 - %zz"),
                                  std::string("f 1 2 - a%"),
                                  std::string("f  1 2 - a"),
                                  std::string("f 1 2 - a "),
                                  std::string("f 1 2  - a"),
                                  std::string(" f 1 2 - a"),
                                  std::string("f 1 2 - a\r"),
                                  std::string("f x 2 - a"),
                                  std::string("f 1 y - a"),
                                  std::string("f 1 2 - caf\xC3\xA9")}) {
    auto r = parse_entry(line);
    ASSERT_FALSE(r.ok()) << "'" << line << "'";
    EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

TEST(EntryTest, ParseRejectsABadDigestField) {
  const std::string digest = kDigest;
  std::string upper = digest;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string one_upper = digest;
  one_upper[5] = 'F';
  for (const std::string& field :
       {upper, one_upper, digest.substr(0, 31), digest + "0", digest.substr(0, 31) + "g",
        std::string("--"), std::string("0"), std::string("%2D"), std::string("x"),
        std::string(32, '-'), digest + digest}) {
    for (const char* type : {"f", "d"}) {
      const std::string line = std::string(type) + " 1 2 " + field + " name";
      auto r = parse_entry(line);
      ASSERT_FALSE(r.ok()) << "'" << line << "'";
      EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
    }
  }
}

// ---- file status (VERIFY) ---------------------------------------------------------

TEST(FileStatusTest, StatusWords) {
  EXPECT_EQ(status_word(FileStatus::Kind::kOk), "ok");
  EXPECT_EQ(status_word(FileStatus::Kind::kCorrupt), "corrupt");
  EXPECT_EQ(status_word(FileStatus::Kind::kUnhashed), "unhashed");
  EXPECT_EQ(status_word(FileStatus::Kind::kUnreadable), "unreadable");
}

TEST(FileStatusTest, SerializeExact) {
  EXPECT_EQ(serialize_file_status({FileStatus::Kind::kOk, "a b.txt"}), "ok a%20b.txt\n");
  EXPECT_EQ(serialize_file_status({FileStatus::Kind::kCorrupt, "100%"}), "corrupt 100%25\n");
  EXPECT_EQ(serialize_file_status({FileStatus::Kind::kUnhashed, "old.bin"}), "unhashed old.bin\n");
  EXPECT_EQ(serialize_file_status({FileStatus::Kind::kUnreadable, "x\ny"}), "unreadable x%0Ay\n");
}

TEST(FileStatusTest, ParseEveryWord) {
  const struct {
    const char* line;
    FileStatus::Kind kind;
  } cases[] = {
      {"ok a%20b.txt", FileStatus::Kind::kOk},
      {"corrupt a%20b.txt", FileStatus::Kind::kCorrupt},
      {"unhashed a%20b.txt", FileStatus::Kind::kUnhashed},
      {"unreadable a%20b.txt", FileStatus::Kind::kUnreadable},
  };
  for (const auto& c : cases) {
    auto r = parse_file_status(c.line);
    ASSERT_TRUE(r.ok()) << c.line;
    EXPECT_EQ(r->kind, c.kind) << c.line;
    EXPECT_EQ(r->name, "a b.txt") << c.line;
  }
}

TEST(FileStatusTest, RoundTrip) {
  for (const FileStatus::Kind kind : {FileStatus::Kind::kOk, FileStatus::Kind::kCorrupt,
                                      FileStatus::Kind::kUnhashed, FileStatus::Kind::kUnreadable}) {
    for (const std::string& name :
         {std::string("a"), std::string("a b\nc%d"), std::string("caf\xC3\xA9"),
          std::string("\x01\x7F\xFF", 3), std::string(255, ' '), std::string("ok")}) {
      const std::string line = serialize_file_status({kind, name});
      EXPECT_EQ(line.find('\n'), line.size() - 1);
      auto back = parse_file_status(without_newline(line));
      ASSERT_TRUE(back.ok()) << line;
      EXPECT_EQ(back->kind, kind);
      EXPECT_EQ(back->name, name);
    }
  }
}

TEST(FileStatusTest, ParseRejects) {
  for (const std::string& line : {std::string(""),
                                  std::string("ok"),
                                  std::string("ok "),
                                  std::string("OK a"),
                                  std::string("Ok a"),
                                  std::string("CORRUPT a"),
                                  std::string("corrupted a"),
                                  std::string("unhash a"),
                                  std::string("unread a"),
                                  std::string("bad a"),
                                  std::string("ok a b"),
                                  std::string("ok  a"),
                                  std::string(" ok a"),
                                  std::string("ok a "),
                                  std::string("ok a\r"),
                                  std::string("ok\ta"),
                                  std::string("ok %zz"),
                                  std::string("ok a%"),
                                  std::string("ok caf\xC3\xA9"),
                                  std::string("- a"),
                                  std::string("f 1 2 - a")}) {
    auto r = parse_file_status(line);
    ASSERT_FALSE(r.ok()) << "'" << line << "'";
    EXPECT_EQ(r.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

// ---- garbage --------------------------------------------------------------------

TEST(ParseReplyGarbageTest, RandomLinesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::string line = test::garbage_line(rng, kGarbageTokens);
    auto r = parse_reply(line);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::kProtocol);
      continue;
    }
    if (r->ok) {
      for (const std::string& f : r->fields) {
        EXPECT_FALSE(f.empty());
        EXPECT_EQ(f.find(' '), std::string::npos);
      }
    } else {
      EXPECT_NE(wire_code(r->code), "");
    }
  }
}

TEST(ParseEntryGarbageTest, RandomLinesNeverCrashAndOkRoundTrips) {
  std::mt19937 rng(8);
  for (int i = 0; i < 20000; ++i) {
    // Half of the lines start like an entry, to get past the first checks.
    std::string line = test::garbage_line(rng, kGarbageTokens);
    if (i % 2 == 0) {
      const std::uint32_t size = rng();
      const std::uint32_t mtime = rng();
      std::string prefix = i % 4 == 0 ? "f " : "d ";
      prefix += std::to_string(size);
      prefix += ' ';
      prefix += std::to_string(mtime);
      prefix += ' ';
      prefix += i % 3 == 0 ? kDigest : "-";
      prefix += ' ';
      line.insert(0, prefix);
    }
    auto e = parse_entry(line);
    if (!e.ok()) {
      EXPECT_EQ(e.error().code, Errc::kProtocol);
      continue;
    }
    const std::string again = serialize_entry(*e);
    auto back = parse_entry(std::string_view(again).substr(0, again.size() - 1));
    ASSERT_TRUE(back.ok()) << again;
    EXPECT_EQ(back->type, e->type);
    EXPECT_EQ(back->size, e->size);
    EXPECT_EQ(back->mtime, e->mtime);
    EXPECT_EQ(back->digest, e->digest);
    EXPECT_EQ(back->name, e->name);
  }
}

TEST(ParseFileStatusGarbageTest, RandomLinesNeverCrashAndOkRoundTrips) {
  std::mt19937 rng(9);
  static constexpr const char* kWords[] = {"ok ", "corrupt ", "unhashed ", "unreadable "};
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = test::garbage_line(rng, kGarbageTokens);
    if (i % 2 == 0) {
      line.insert(0, kWords[rng() % std::size(kWords)]);
    }
    auto s = parse_file_status(line);
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, Errc::kProtocol);
      continue;
    }
    ++accepted;
    const std::string again = serialize_file_status(*s);
    auto back = parse_file_status(std::string_view(again).substr(0, again.size() - 1));
    ASSERT_TRUE(back.ok()) << again;
    EXPECT_EQ(back->kind, s->kind);
    EXPECT_EQ(back->name, s->name);
  }
  EXPECT_GT(accepted, 0);
}

TEST(ParseReplyGarbageTest, TruncatedPrefixes) {
  const std::string_view ok = "OK 600000";
  int valid = 0;
  for (std::size_t n = 0; n < ok.size(); ++n) {
    valid += parse_reply(ok.substr(0, n)).ok() ? 1 : 0;
  }
  EXPECT_EQ(valid, 6);  // "OK", "OK 6" .. "OK 60000"
  const std::string_view err = "ERR NOTFOUND no such file";
  for (std::size_t n = 0; n <= err.size(); ++n) {
    auto r = parse_reply(err.substr(0, n));
    if (r.ok()) {
      EXPECT_FALSE(r->ok);
      EXPECT_EQ(r->code, Errc::kNotFound);
    }
  }
  // Names "a", "a%20", "a%20b", "a%20b.", "a%20b.t", "a%20b.tx"; a cut
  // digest never parses.
  for (const std::string& entry : {std::string("f 12 1700000000 - a%20b.txt"),
                                   std::string("f 12 1700000000 ") + kDigest + " a%20b.txt"}) {
    valid = 0;
    for (std::size_t n = 0; n < entry.size(); ++n) {
      valid += parse_entry(std::string_view(entry).substr(0, n)).ok() ? 1 : 0;
    }
    EXPECT_EQ(valid, 6) << entry;
  }
  const std::string_view status = "corrupt caf%C3%A9";
  valid = 0;
  for (std::size_t n = 0; n < status.size(); ++n) {
    valid += parse_file_status(status.substr(0, n)).ok() ? 1 : 0;
  }
  // Names "c", "ca", "caf" and "caf%C3" (names are bytes, not necessarily
  // UTF-8); "caf%" and "caf%C" are bad escapes.
  EXPECT_EQ(valid, 4);
}

}  // namespace
}  // namespace sfs::protocol
