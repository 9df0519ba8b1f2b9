#include "protocol/request.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/limits.h"
#include "protocol/reply.h"
#include "test_util.h"

namespace sfs::protocol {
namespace {

// XXH128 of "abc" and of nothing.
constexpr char kDigest[] = "06b05ab6733a618578af5f94892f3950";
constexpr char kEmptyDigest[] = "99aa06d3014798d86001c324468d497f";

// The protocol pieces the garbage loops mix in, then the words of these requests.
// The order fixes what each seed generates.
constexpr std::string_view kOwnTokens[] = {
    "HASH",
    "VERIFY",
    "XXH128",
    "FROM",
    "-",
    "06b05ab6733a618578af5f94892f3950",
    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"};
constexpr auto kGarbageTokens = test::with_protocol_tokens(kOwnTokens);

// Parses a line that must be valid and returns the alternative T.
template <typename T>
T parse_as(const std::string& line) {
  auto r = parse_request(line);
  EXPECT_TRUE(r.ok()) << "'" << line << "': " << (r.ok() ? "" : r.error().message);
  if (!r.ok()) {
    return T{};
  }
  EXPECT_TRUE(std::holds_alternative<T>(*r)) << "'" << line << "' parsed as " << verb_of(*r);
  if (!std::holds_alternative<T>(*r)) {
    return T{};
  }
  return std::get<T>(*r);
}

void expect_error(const std::string& line, Errc code) {
  auto r = parse_request(line);
  ASSERT_FALSE(r.ok()) << "accepted: '" << line << "' as " << verb_of(*r);
  EXPECT_EQ(r.error().code, code) << "'" << line << "': " << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

void expect_bad_request(const std::string& line) { expect_error(line, Errc::kBadRequest); }

// ---- each verb --------------------------------------------------------------

TEST(ParseRequestTest, Login) {
  const Login l = parse_as<Login>("LOGIN alice s3cret");
  EXPECT_EQ(l.user, "alice");
  EXPECT_EQ(l.password, "s3cret");
  const Login e = parse_as<Login>("LOGIN bob pass%20word%25%3A");
  EXPECT_EQ(e.user, "bob");
  EXPECT_EQ(e.password, "pass word%:");
}

TEST(ParseRequestTest, Put) {
  const Put p = parse_as<Put>("PUT docs%20a.txt 600000");
  EXPECT_EQ(p.path, "docs a.txt");
  EXPECT_EQ(p.size, 600000U);
  const Put zero = parse_as<Put>("PUT d/e/f 0");
  EXPECT_EQ(zero.path, "d/e/f");
  EXPECT_EQ(zero.size, 0U);
  const Put max = parse_as<Put>("PUT x 18446744073709551615");
  EXPECT_EQ(max.size, 18446744073709551615ULL);
  EXPECT_FALSE(max.mtime);
}

TEST(ParseRequestTest, PutWithModificationTime) {
  const Put p = parse_as<Put>("PUT a.txt 3 1577836800");
  EXPECT_EQ(p.size, 3U);
  ASSERT_TRUE(p.mtime);
  EXPECT_EQ(*p.mtime, 1577836800U);
  EXPECT_EQ(serialize_request(p), "PUT a.txt 3 1577836800\n");
  EXPECT_EQ(serialize_request(Put{"a.txt", 3}), "PUT a.txt 3\n");
  EXPECT_EQ(parse_as<Put>("PUT a 1 253402300799").mtime, 253402300799U);
  expect_bad_request("PUT a 1 253402300800");  // past the year 9999
  expect_bad_request("PUT a 1 -5");
}

TEST(ParseRequestTest, PutWithDigestOffer) {
  const std::string d(32, 'a');
  const Put offer = parse_as<Put>("PUT a.txt 3 1577836800 " + d);
  EXPECT_EQ(offer.digest, d);
  EXPECT_FALSE(offer.now);
  ASSERT_TRUE(offer.mtime);
  EXPECT_EQ(serialize_request(offer), "PUT a.txt 3 1577836800 " + d + "\n");
  const Put no_time = parse_as<Put>("PUT a.txt 3 - " + d + " now");
  EXPECT_FALSE(no_time.mtime);
  EXPECT_TRUE(no_time.now);
  EXPECT_EQ(serialize_request(no_time), "PUT a.txt 3 - " + d + " now\n");
  expect_bad_request("PUT a 3 - " + d + " later");          // only "now"
  expect_bad_request("PUT a 3 - " + std::string(32, 'A'));  // lower-case hex only
  expect_bad_request("PUT a 3 - " + std::string(31, 'a'));
  expect_bad_request("PUT a 3 -");                  // "-" only before a digest
  expect_bad_request("PUT a 3 253402300800 " + d);  // the time limit holds here too
  expect_bad_request("PUT a 3 - " + d + " now x");  // seven fields
}

TEST(ParseRequestTest, AnnouncedDataOfRefusedPutNow) {
  const std::string d(32, 'a');
  EXPECT_EQ(announced_data("PUT a 3 - " + d + " now"), 3U);
  EXPECT_EQ(announced_data("PUT ../x 7 - " + d + " now"), 7U);  // refused, yet data follows
  EXPECT_EQ(announced_data("PUT a 7 - zz now"), 7U);
  EXPECT_FALSE(announced_data("PUT a 3 - " + d));  // the two-step form: nothing follows
  EXPECT_FALSE(announced_data("PUT a 3"));
  EXPECT_FALSE(announced_data("PUT a x - " + d + " now"));
  EXPECT_FALSE(announced_data("GET a 3 - " + d + " now"));
}

TEST(ParseRequestTest, Get) {
  const Get g = parse_as<Get>("GET a.bin 0 -");
  EXPECT_EQ(g.path, "a.bin");
  EXPECT_EQ(g.offset, 0U);
  EXPECT_EQ(g.digest, "");
  const Get h = parse_as<Get>(std::string("GET dir/caf%C3%A9 123 ") + kDigest);
  EXPECT_EQ(h.path, "dir/caf\xC3\xA9");
  EXPECT_EQ(h.offset, 123U);
  EXPECT_EQ(h.digest, kDigest);
  // An offset without a digest parses; the server then sends everything.
  const Get i = parse_as<Get>("GET x 18446744073709551615 -");
  EXPECT_EQ(i.offset, 18446744073709551615ULL);
  EXPECT_EQ(i.digest, "");
  const Get j = parse_as<Get>(std::string("GET x 0 ") + kEmptyDigest);
  EXPECT_EQ(j.offset, 0U);
  EXPECT_EQ(j.digest, kEmptyDigest);
}

TEST(ParseRequestTest, GetRefusesABadDigestField) {
  const std::string digest = kDigest;
  std::string upper = digest;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string one_upper = digest;
  one_upper[0] = 'B';
  for (const std::string& field :
       {upper, one_upper, digest.substr(0, 31), digest + "0", digest.substr(1) + "g",
        digest.substr(0, 31) + "-", std::string("--"), std::string("+"), std::string("0"),
        std::string("%2D"), std::string("none"), std::string("x"), std::string(32, '-'),
        "sha256:" + digest, digest + digest}) {
    expect_bad_request("GET a 0 " + field);
    expect_bad_request("GET a 12 " + field);
  }
}

TEST(ParseRequestTest, Hash) {
  const Hash h = parse_as<Hash>("HASH docs%20a.txt");
  EXPECT_EQ(h.path, "docs a.txt");
  const Hash d = parse_as<Hash>("HASH d/e/caf%C3%A9");
  EXPECT_EQ(d.path, "d/e/caf\xC3\xA9");
}

TEST(ParseRequestTest, Verify) { parse_as<Verify>("VERIFY"); }

TEST(ParseRequestTest, View) {
  const View v = parse_as<View>("VIEW notes.txt 1024");
  EXPECT_EQ(v.path, "notes.txt");
  EXPECT_EQ(v.max_bytes, 1024U);
}

TEST(ParseRequestTest, Delete) {
  const Delete d = parse_as<Delete>("DELETE old%0Aname");
  EXPECT_EQ(d.path, "old\nname");
}

TEST(ParseRequestTest, ListAndQuit) {
  parse_as<List>("LIST");
  parse_as<Quit>("QUIT");
}

TEST(ParseRequestTest, VerbOf) {
  EXPECT_EQ(verb_of(Login{"a", "b"}), "LOGIN");
  EXPECT_EQ(verb_of(Put{"a", 1}), "PUT");
  EXPECT_EQ(verb_of(Get{"a", 1}), "GET");
  EXPECT_EQ(verb_of(View{"a", 1}), "VIEW");
  EXPECT_EQ(verb_of(Delete{"a"}), "DELETE");
  EXPECT_EQ(verb_of(List{}), "LIST");
  EXPECT_EQ(verb_of(Quit{}), "QUIT");
  EXPECT_EQ(verb_of(Get{"a", 1, kDigest}), "GET");
  EXPECT_EQ(verb_of(Hash{"a"}), "HASH");
  EXPECT_EQ(verb_of(Verify{}), "VERIFY");
  EXPECT_EQ(verb_of(Notices{"delay"}), "NOTICES");
}

// ---- malformed lines ------------------------------------------------------------

TEST(ParseRequestTest, WrongFieldCounts) {
  for (const char* line : {"LOGIN",       "LOGIN alice", "LOGIN alice pw extra",
                           "PUT",         "PUT a",       "PUT a 1 2 3",
                           "GET",         "GET a",       "GET a 1",
                           "GET a 1 - -", "GET a 1 - x", "VIEW",
                           "VIEW a",      "VIEW a 1 2",  "DELETE",
                           "DELETE a b",  "LIST x y",    "LIST x y z",
                           "QUIT now",    "HASH",        "HASH a b",
                           "HASH a 1",    "VERIFY x",    "VERIFY x y",
                           "VERIFY -"}) {
    expect_bad_request(line);
  }
  expect_bad_request(std::string("GET a 1 ") + kDigest + " " + kDigest);
  expect_bad_request(std::string("GET a ") + kDigest);
}

TEST(ParseRequestTest, SpacingMustBeExact) {
  for (const char* line : {"",
                           " ",
                           "  ",
                           " LIST",
                           "LIST ",
                           "LIST  ",
                           "QUIT ",
                           "PUT  a 1",
                           "PUT a  1",
                           "PUT a 1 ",
                           " PUT a 1",
                           "LOGIN  alice pw",
                           "LOGIN alice pw ",
                           "DELETE  a",
                           "DELETE a ",
                           "GET a\t1",
                           "PUT\ta\t1",
                           "LIST\r",
                           "QUIT\n",
                           "LIST\n",
                           "DELETE a\r",
                           "GET a 0  -",
                           "GET a  0 -",
                           "GET a 0 - ",
                           "GET a 0 -\r",
                           "GET a 0\t-",
                           "HASH  a",
                           "HASH a ",
                           " HASH a",
                           "VERIFY ",
                           " VERIFY",
                           "VERIFY\r"}) {
    expect_bad_request(line);
  }
}

TEST(ParseRequestTest, UnknownAndLowercaseVerbs) {
  for (const char* line : {"list",    "Quit",     "put a 1",        "Put a 1",
                           "get a 0", "delete a", "login alice pw", "HELLO",
                           "STATS a", "LISTS",    "QUITX",          "PUTS a 1",
                           "LIS",     "L",        "%4CIST",         "\xEF\xBB\xBFLIST",
                           "hash a",  "Hash a",   "HASHES a",       "verify",
                           "Verify",  "VERIFYX",  "VERIF",          "SHA256 a",
                           "FROM 0"}) {
    expect_bad_request(line);
  }
}

TEST(ParseRequestTest, BadNumbers) {
  for (const char* line :
       {"PUT a -1", "PUT a +1", "PUT a 01", "PUT a 00", "PUT a 18446744073709551616",
        "PUT a 99999999999999999999999", "PUT a x", "PUT a 1x", "PUT a 0x10", "PUT a 1.5",
        "GET a -0 -", "GET a 1e3 -", "GET a 007 -", "GET a 18446744073709551616 -", "GET a x -",
        "VIEW a abc", "VIEW a 18446744073709551616", "PUT a %31"}) {
    expect_bad_request(line);
  }
}

TEST(ParseRequestTest, BadEscapes) {
  for (const char* line :
       {"PUT a% 1", "PUT %zz 1", "GET %4 0 -", "DELETE a%", "LOGIN %zz pw", "LOGIN alice %g0",
        "PUT caf\xC3\xA9 1", "DELETE \x80", "HASH %zz", "HASH a%", "HASH caf\xC3\xA9"}) {
    expect_bad_request(line);
  }
}

TEST(ParseRequestTest, BadPaths) {
  for (const char* line : {"PUT %2Fetc%2Fpasswd 1",
                           "PUT .. 1",
                           "GET ../x 0 -",
                           "GET a/../b 0 -",
                           "VIEW a/./b 1",
                           "DELETE a//b",
                           "DELETE a/",
                           "DELETE .",
                           "PUT .sfs-tmp-x 1",
                           "PUT d/.sfs-x 1",
                           "GET a%00b 0 -",
                           "GET %C0%80 0 -",
                           "GET %ED%A0%80 0 -",
                           "DELETE %F4%90%80%80",
                           "DELETE %C3",
                           "PUT / 1",
                           "DELETE %2F",
                           "PUT .sfs-part-x 1",
                           "GET .sfs-part-x 0 -",
                           "HASH ../x",
                           "HASH %2Fetc%2Fpasswd",
                           "HASH a//b",
                           "HASH .sfs-part-x",
                           "HASH d/.sfs-tmp-y",
                           "HASH %C3"}) {
    expect_error(line, Errc::kBadPath);
  }
  // The path is checked whatever the digest field says.
  expect_error(std::string("GET ../x 5 ") + kDigest, Errc::kBadPath);
}

TEST(ParseRequestTest, LineLengthLimit) {
  // 16383 bytes (plus '\n' = 16384) is not too long: this one fails for its
  // path instead. 16384 bytes is too long.
  const std::string body(kMaxLineBytes - 1 - 6, 'a');
  const std::string fits = "PUT " + body + " 1";
  ASSERT_EQ(fits.size(), kMaxLineBytes - 1);
  expect_error(fits, Errc::kBadPath);
  expect_bad_request(fits + "1");
  expect_bad_request("PUT " + std::string(kMaxLineBytes, 'a') + " 1");
  expect_bad_request("LIST" + std::string(kMaxLineBytes, ' '));
  expect_bad_request(std::string(1 << 20, 'A'));
}

TEST(ParseRequestTest, LoginUserLength) {
  const std::string user64(kMaxUserBytes, 'u');
  const Login ok = parse_as<Login>("LOGIN " + user64 + " pw");
  EXPECT_EQ(ok.user, user64);
  expect_bad_request("LOGIN " + user64 + "u pw");
  // The limit applies to the decoded bytes.
  std::string encoded64;
  for (std::size_t i = 0; i < kMaxUserBytes; ++i) {
    encoded64 += "%41";
  }
  EXPECT_EQ(parse_as<Login>("LOGIN " + encoded64 + " pw").user, std::string(kMaxUserBytes, 'A'));
  expect_bad_request("LOGIN " + encoded64 + "%41 pw");
}

TEST(ParseRequestTest, LoginEmptyUserRefused) {
  // An empty field cannot travel; there is no escape that decodes to "".
  expect_bad_request("LOGIN  pw");
  expect_bad_request("LOGIN pw");
}

TEST(ParseRequestTest, LoginPasswordLength) {
  const std::string pw1024(kMaxPasswordBytes, 'p');
  const Login ok = parse_as<Login>("LOGIN alice " + pw1024);
  EXPECT_EQ(ok.password, pw1024);
  expect_bad_request("LOGIN alice " + pw1024 + "p");
  std::string encoded1024;
  for (std::size_t i = 0; i < kMaxPasswordBytes; ++i) {
    encoded1024 += "%20";
  }
  EXPECT_EQ(parse_as<Login>("LOGIN alice " + encoded1024).password,
            std::string(kMaxPasswordBytes, ' '));
  expect_bad_request("LOGIN alice " + encoded1024 + "%20");
}

// ---- serialization ------------------------------------------------------------

TEST(SerializeRequestTest, ExactLines) {
  EXPECT_EQ(serialize_request(Login{"alice", "pass word"}), "LOGIN alice pass%20word\n");
  EXPECT_EQ(serialize_request(Put{"a b.txt", 12}), "PUT a%20b.txt 12\n");
  EXPECT_EQ(serialize_request(Get{"a.bin", 0}), "GET a.bin 0 -\n");
  EXPECT_EQ(serialize_request(Get{"a b", 600000, kDigest}),
            std::string("GET a%20b 600000 ") + kDigest + "\n");
  EXPECT_EQ(serialize_request(Hash{"a b.txt"}), "HASH a%20b.txt\n");
  EXPECT_EQ(serialize_request(Hash{"100%/x"}), "HASH 100%25/x\n");
  EXPECT_EQ(serialize_request(Verify{}), "VERIFY\n");
  EXPECT_EQ(serialize_request(View{"100%", 1024}), "VIEW 100%25 1024\n");
  EXPECT_EQ(serialize_request(Delete{"d/x\ny"}), "DELETE d/x%0Ay\n");
  EXPECT_EQ(serialize_request(List{}), "LIST\n");
  EXPECT_EQ(serialize_request(Quit{}), "QUIT\n");
  EXPECT_EQ(serialize_request(Put{"x", 18446744073709551615ULL}), "PUT x 18446744073709551615\n");
}

// Parses a serialized request (its '\n' removed) back.
Request round_trip(const Request& request) {
  const std::string line = serialize_request(request);
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "newline inside: " << line;
  for (const char c : line.substr(0, line.size() - 1)) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u <= 0x7E) << "byte " << static_cast<int>(u) << " in " << line;
  }
  auto parsed = parse_request(std::string_view(line).substr(0, line.size() - 1));
  EXPECT_TRUE(parsed.ok()) << line << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) {
    return Quit{};
  }
  EXPECT_EQ(parsed->index(), request.index()) << line;
  return *parsed;
}

const std::vector<std::string>& awkward_names() {
  static const std::vector<std::string> names = {
      "a",
      "a b.txt",
      "  leading and trailing  ",
      "100%",
      "%41",
      "%",
      "line\nbreak",
      "cr\rlf\r\n",
      "tab\tx",
      "caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x98\x80",
      "dir/sub dir/file name.txt",
      "\x01\x02\x1F\x7F",
      "~!@#$^&*()_+{}|:\"<>?`-=[]\\;',",
      std::string(255, 'n'),
      std::string(255, ' '),
  };
  return names;
}

TEST(RequestRoundTripTest, EveryVerbWithAwkwardNames) {
  for (const std::string& name : awkward_names()) {
    {
      const Request back = round_trip(Put{name, 42});
      ASSERT_TRUE(std::holds_alternative<Put>(back));
      EXPECT_EQ(std::get<Put>(back).path, name);
      EXPECT_EQ(std::get<Put>(back).size, 42U);
    }
    {
      const Request back = round_trip(Get{name, 18446744073709551615ULL});
      ASSERT_TRUE(std::holds_alternative<Get>(back));
      EXPECT_EQ(std::get<Get>(back).path, name);
      EXPECT_EQ(std::get<Get>(back).offset, 18446744073709551615ULL);
      EXPECT_EQ(std::get<Get>(back).digest, "");
    }
    {
      const Request back = round_trip(Get{name, 7, kDigest});
      ASSERT_TRUE(std::holds_alternative<Get>(back));
      EXPECT_EQ(std::get<Get>(back).path, name);
      EXPECT_EQ(std::get<Get>(back).offset, 7U);
      EXPECT_EQ(std::get<Get>(back).digest, kDigest);
    }
    {
      const Request back = round_trip(Hash{name});
      ASSERT_TRUE(std::holds_alternative<Hash>(back));
      EXPECT_EQ(std::get<Hash>(back).path, name);
    }
    {
      const Request back = round_trip(View{name, 0});
      ASSERT_TRUE(std::holds_alternative<View>(back));
      EXPECT_EQ(std::get<View>(back).path, name);
      EXPECT_EQ(std::get<View>(back).max_bytes, 0U);
    }
    {
      const Request back = round_trip(Delete{name});
      ASSERT_TRUE(std::holds_alternative<Delete>(back));
      EXPECT_EQ(std::get<Delete>(back).path, name);
    }
    {
      // Any bytes are fine in a password.
      const Request back = round_trip(Login{"alice", name});
      ASSERT_TRUE(std::holds_alternative<Login>(back));
      EXPECT_EQ(std::get<Login>(back).user, "alice");
      EXPECT_EQ(std::get<Login>(back).password, name);
    }
  }
  EXPECT_TRUE(std::holds_alternative<List>(round_trip(List{})));
  EXPECT_TRUE(std::holds_alternative<Quit>(round_trip(Quit{})));
  EXPECT_TRUE(std::holds_alternative<Verify>(round_trip(Verify{})));
}

TEST(RequestRoundTripTest, LoginWithEveryByte) {
  std::string password;
  for (int b = 0; b < 256; ++b) {
    password.push_back(static_cast<char>(b));
  }
  const std::string user = "a b%\n\xC3\xA9";
  const Request back = round_trip(Login{user, password});
  ASSERT_TRUE(std::holds_alternative<Login>(back));
  EXPECT_EQ(std::get<Login>(back).user, user);
  EXPECT_EQ(std::get<Login>(back).password, password);
}

TEST(RequestRoundTripTest, LongestPathFitsInALine) {
  // A 4096-byte path where every byte needs an escape.
  std::string path;
  while (path.size() + 255 < kMaxPathBytes) {
    path += std::string(254, ' ') + "/";
  }
  path += std::string(kMaxPathBytes - path.size(), '%');
  ASSERT_EQ(path.size(), kMaxPathBytes);
  const std::string line = serialize_request(Put{path, 18446744073709551615ULL});
  EXPECT_LT(line.size(), kMaxLineBytes);
  const Request back = round_trip(Put{path, 18446744073709551615ULL});
  ASSERT_TRUE(std::holds_alternative<Put>(back));
  EXPECT_EQ(std::get<Put>(back).path, path);
}

// ---- greeting -------------------------------------------------------------------

TEST(GreetingTest, Line) { EXPECT_EQ(greeting_line(), "SFS 1\n"); }

TEST(GreetingTest, ParseOwnGreeting) {
  const std::string line = greeting_line();
  auto v = parse_greeting(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, kVersion);
}

TEST(GreetingTest, OtherVersions) {
  auto two = parse_greeting("SFS 2");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, 2);
  auto zero = parse_greeting("SFS 0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, 0);
}

TEST(GreetingTest, Malformed) {
  for (const char* line : {"", "SFS", "SFS ", "SFS  1", " SFS 1", "SFS 1 ", "SFS 1 2", "sfs 1",
                           "FTP 1", "SFS x", "SFS -1", "SFS 01", "SFS 1\n", "SFS 1\r",
                           "SFS 18446744073709551616", "SFS 99999999999", "HTTP/1.1 200 OK"}) {
    auto v = parse_greeting(line);
    ASSERT_FALSE(v.ok()) << "'" << line << "'";
    EXPECT_EQ(v.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

TEST(GreetingTest, FeatureWordsAreAcceptedAndIgnored) {
  for (const char* line : {"SFS 1 zstd", "SFS 1 zstd lz4", "SFS 1 a-b c9", "SFS 2 x"}) {
    auto v = parse_greeting(line);
    ASSERT_TRUE(v.ok()) << "'" << line << "'";
    EXPECT_EQ(*v, line[4] - '0');
  }
  // Sixteen words at most, each a lower-case word of at most 32 bytes.
  std::string many = "SFS 1";
  for (int i = 0; i < 16; ++i) {
    many += " f";
  }
  EXPECT_TRUE(parse_greeting(many).ok());
  EXPECT_FALSE(parse_greeting(many + " f").ok());
  EXPECT_TRUE(parse_greeting("SFS 1 " + std::string(32, 'z')).ok());
  EXPECT_FALSE(parse_greeting("SFS 1 " + std::string(33, 'z')).ok());
}

TEST(GreetingTest, MalformedFeatureWords) {
  for (const char* line : {"SFS 1 Zstd", "SFS 1 9x", "SFS 1 -x", "SFS 1 zstd  lz4", "SFS 1 zs%74d",
                           "SFS 1 zstd\x01", "SFS 1 z_std", "SFS 1 zstd "}) {
    auto v = parse_greeting(line);
    ASSERT_FALSE(v.ok()) << "'" << line << "'";
    EXPECT_EQ(v.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

// ---- COMPRESS -------------------------------------------------------------------

TEST(CompressRequestTest, ParsesAndSerializes) {
  const Compress c = parse_as<Compress>("COMPRESS zstd");
  EXPECT_EQ(c.algorithm, "zstd");
  EXPECT_EQ(verb_of(Compress{"zstd"}), "COMPRESS");
  EXPECT_EQ(serialize_request(Compress{"zstd"}), "COMPRESS zstd\n");
  // An algorithm the server may not know still parses; the server refuses it.
  EXPECT_EQ(parse_as<Compress>("COMPRESS lz4").algorithm, "lz4");
  EXPECT_TRUE(std::holds_alternative<Compress>(round_trip(Compress{"zstd"})));
}

TEST(CompressRequestTest, Malformed) {
  for (const char* line : {"COMPRESS", "COMPRESS zstd 3", "COMPRESS ZSTD", "COMPRESS %7A",
                           "COMPRESS 1", "COMPRESS z/s", "compress zstd"}) {
    auto r = parse_request(line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << line;
  }
  EXPECT_FALSE(parse_request("COMPRESS " + std::string(33, 'z')).ok());
}

// ---- NOTICES and DELAY ----------------------------------------------------------

TEST(NoticesRequestTest, ParsesAndSerializes) {
  EXPECT_EQ(parse_as<Notices>("NOTICES delay").kind, "delay");
  EXPECT_EQ(serialize_request(Notices{"delay"}), "NOTICES delay\n");
  // A kind the server may not know still parses; the server refuses it.
  EXPECT_EQ(parse_as<Notices>("NOTICES progress").kind, "progress");
  EXPECT_TRUE(std::holds_alternative<Notices>(round_trip(Notices{"delay"})));
}

TEST(NoticesRequestTest, Malformed) {
  for (const char* line :
       {"NOTICES", "NOTICES delay delay", "NOTICES DELAY", "NOTICES %64elay", "NOTICES 1",
        "NOTICES de/lay", "notices delay", "NOTICES  delay", "NOTICES delay "}) {
    auto r = parse_request(line);
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().code, Errc::kBadRequest) << line;
  }
}

TEST(UsageRequestTest, ParsesAndSerializes) {
  parse_as<UsageQuery>("USAGE");
  EXPECT_EQ(serialize_request(UsageQuery{}), "USAGE\n");
  EXPECT_EQ(verb_of(UsageQuery{}), "USAGE");
  EXPECT_FALSE(traits_of(UsageQuery{}).does_write);
  EXPECT_FALSE(traits_of(UsageQuery{}).before_login);
  for (const char* line : {"USAGE x", "usage", "USAGE "}) {
    EXPECT_FALSE(parse_request(line).ok()) << line;
  }
}

TEST(DelayLineTest, Line) {
  EXPECT_EQ(delay_line(std::chrono::milliseconds(500)), "DELAY 500\n");
  EXPECT_EQ(delay_line(std::chrono::seconds(30)), "DELAY 30000\n");
  // Clamped to the range a client accepts.
  EXPECT_EQ(delay_line(std::chrono::milliseconds(0)), "DELAY 1\n");
  EXPECT_EQ(delay_line(std::chrono::milliseconds(-5)), "DELAY 1\n");
  EXPECT_EQ(delay_line(std::chrono::hours(2)), "DELAY 3600000\n");
}

TEST(DelayLineTest, ParseValid) {
  for (const std::int64_t ms : {1, 500, 16000, 30000, 3600000}) {
    const std::string line = delay_line(std::chrono::milliseconds(ms));
    auto parsed = parse_delay_line(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed.ok()) << line << parsed.error().message;
    EXPECT_EQ(parsed->count(), ms);
  }
}

TEST(DelayLineTest, ParseRefuses) {
  for (const char* line : {"",          "DELAY",         "DELAY ",
                           "DELAY 0",   "DELAY 3600001", "DELAY 18446744073709551616",
                           "DELAY -1",  "DELAY +1",      "DELAY 01",
                           "DELAY 1.5", "DELAY 1 s",     "DELAY  1",
                           " DELAY 1",  "DELAY 1 ",      "delay 1",
                           "DELAY 1\r", "DELAY\t1",      "DELAYS 1",
                           "OK",        "OK delay",      "ERR AUTH login failed",
                           "1000"}) {
    auto parsed = parse_delay_line(line);
    ASSERT_FALSE(parsed.ok()) << "accepted: '" << line << "'";
    EXPECT_EQ(parsed.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

TEST(DelayLineTest, IsNeverAReply) {
  // Old parsing stays strict: a client that did not ask for notices and
  // gets one anyway sees a malformed reply, never an OK.
  EXPECT_FALSE(parse_reply("DELAY 500").ok());
}

// ---- split_fields ---------------------------------------------------------------

TEST(SplitFieldsTest, Cases) {
  auto three = split_fields("a bb ccc");
  ASSERT_TRUE(three.ok());
  ASSERT_EQ(three->size(), 3U);
  EXPECT_EQ((*three)[0], "a");
  EXPECT_EQ((*three)[1], "bb");
  EXPECT_EQ((*three)[2], "ccc");
  auto one = split_fields("x");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1U);
  EXPECT_EQ((*one)[0], "x");
  for (const std::string& line :
       {std::string(""), std::string(" "), std::string("a  b"), std::string(" a"),
        std::string("a "), std::string("a\tb"), std::string("a\x7F"), std::string("a\x01"),
        std::string("a\n"), std::string("a\0", 2)}) {
    EXPECT_FALSE(split_fields(line).ok()) << "'" << line << "'";
  }
}

TEST(SplitFieldsTest, OnlyBytes21To7EInFields) {
  // docs/protocol.md: "Every field consists of bytes 0x21-0x7E".
  std::string wrong;  // bytes whose verdict is wrong, as " XX" hex
  for (int b = 0; b < 256; ++b) {
    if (b == ' ') {
      continue;  // the separator
    }
    const std::string line = "a" + std::string(1, static_cast<char>(b)) + "b";
    const bool valid = b >= 0x21 && b <= 0x7E;
    if (split_fields(line).ok() != valid) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      wrong += {' ', kHex[b >> 4], kHex[b & 0xF]};
    }
  }
  EXPECT_EQ(wrong, "") << "split_fields gets these bytes wrong";
}

// ---- digest trailer -------------------------------------------------------------

TEST(DigestLineTest, Line) {
  EXPECT_EQ(digest_line(kDigest), std::string("XXH128 ") + kDigest + "\n");
  EXPECT_EQ(digest_line(kEmptyDigest), std::string("XXH128 ") + kEmptyDigest + "\n");
}

TEST(DigestLineTest, ParseValid) {
  auto d = parse_digest_line(std::string("XXH128 ") + kDigest);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, kDigest);
  const std::string line = digest_line(kEmptyDigest);
  auto e = parse_digest_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(*e, kEmptyDigest);
}

TEST(DigestLineTest, ParseRefuses) {
  const std::string digest = kDigest;
  std::string upper = digest;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string one_upper = digest;
  one_upper[31] = 'D';
  for (const std::string& line : {std::string(""),
                                  std::string("XXH128"),
                                  std::string("XXH128 "),
                                  std::string("SHA256 -"),
                                  "xxh128 " + digest,
                                  "Xxh128 " + digest,
                                  "digest " + digest,
                                  "SHA512 " + digest,
                                  "SHA256: " + digest,
                                  "XXH128 " + upper,
                                  "XXH128 " + one_upper,
                                  "XXH128 " + digest.substr(0, 31),
                                  "XXH128 " + digest.substr(1),
                                  "XXH128 " + digest + "0",
                                  "XXH128 " + digest.substr(0, 31) + "g",
                                  "XXH128 " + digest + " x",
                                  "XXH128 " + digest + " " + digest,
                                  "SHA256  " + digest,
                                  " SHA256 " + digest,
                                  "XXH128 " + digest + " ",
                                  "XXH128 " + digest + "\r",
                                  "XXH128 " + digest + "\n",
                                  "SHA256\t" + digest,
                                  "OK " + digest,
                                  digest,
                                  "XXH128 " + std::string(32, 'g')}) {
    auto d = parse_digest_line(line);
    ASSERT_FALSE(d.ok()) << "accepted: '" << line << "'";
    EXPECT_EQ(d.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

// ---- FROM line ----------------------------------------------------------------------

TEST(FromLineTest, Line) {
  EXPECT_EQ(from_line(0), "FROM 0\n");
  EXPECT_EQ(from_line(600000), "FROM 600000\n");
  EXPECT_EQ(from_line(18446744073709551615ULL), "FROM 18446744073709551615\n");
}

TEST(FromLineTest, ParseValid) {
  for (const std::uint64_t offset :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{600000}, std::uint64_t{1} << 32,
        std::uint64_t{18446744073709551615ULL}}) {
    const std::string line = from_line(offset);
    auto parsed = parse_from_line(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed.ok()) << line << parsed.error().message;
    EXPECT_EQ(*parsed, offset);
  }
  auto p = parse_from_line("FROM 123");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, 123U);
}

TEST(FromLineTest, ParseRefuses) {
  for (const char* line : {"",
                           "FROM",
                           "FROM ",
                           "FROM  1",
                           " FROM 1",
                           "FROM 1 ",
                           "FROM 1 2",
                           "from 1",
                           "From 1",
                           "FROM -1",
                           "FROM +1",
                           "FROM 01",
                           "FROM 00",
                           "FROM 1x",
                           "FROM x",
                           "FROM 0x10",
                           "FROM 1.0",
                           "FROM 18446744073709551616",
                           "FROM 99999999999999999999",
                           "FROM -",
                           "FROM 1\r",
                           "FROM 1\n",
                           "FROM\t1",
                           "FROMX 1",
                           "OK 1",
                           "1"}) {
    auto parsed = parse_from_line(line);
    ASSERT_FALSE(parsed.ok()) << "accepted: '" << line << "'";
    EXPECT_EQ(parsed.error().code, Errc::kProtocol) << "'" << line << "'";
  }
}

// ---- garbage --------------------------------------------------------------------

// parse_digest_line and parse_from_line on any line: an error is kProtocol,
// and what parses is exactly the canonical line.
void check_trailer_parsers(const std::string& line) {
  auto digest = parse_digest_line(line);
  if (digest.ok()) {
    EXPECT_EQ(digest_line(*digest), line + "\n");
  } else {
    EXPECT_EQ(digest.error().code, Errc::kProtocol);
  }
  auto from = parse_from_line(line);
  if (from.ok()) {
    EXPECT_EQ(from_line(*from), line + "\n");
  } else {
    EXPECT_EQ(from.error().code, Errc::kProtocol);
  }
}

// Checks one line against every parser: no crash, the documented error
// codes, and whatever parses serializes back to the same line.
void check_line(const std::string& line) {
  check_trailer_parsers(line);
  auto r = parse_request(line);
  if (!r.ok()) {
    EXPECT_TRUE(r.error().code == Errc::kBadRequest || r.error().code == Errc::kBadPath)
        << static_cast<int>(r.error().code);
    return;
  }
  const std::string again = serialize_request(*r);
  ASSERT_EQ(again.find('\n'), again.size() - 1);
  auto reparsed = parse_request(std::string_view(again).substr(0, again.size() - 1));
  ASSERT_TRUE(reparsed.ok()) << again;
  EXPECT_EQ(serialize_request(*reparsed), again);
}

TEST(ParseRequestGarbageTest, RandomLinesNeverCrashAndOkMeansCanonical) {
  std::mt19937 rng(20240601);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string line = test::garbage_line(rng, kGarbageTokens);
    check_trailer_parsers(line);
    auto r = parse_request(line);
    if (!r.ok()) {
      EXPECT_TRUE(r.error().code == Errc::kBadRequest || r.error().code == Errc::kBadPath)
          << static_cast<int>(r.error().code);
      continue;
    }
    ++accepted;
    EXPECT_LT(line.size(), kMaxLineBytes);
    // Whatever parses serializes to one clean line that parses the same.
    const std::string again = serialize_request(*r);
    ASSERT_EQ(again.find('\n'), again.size() - 1);
    auto reparsed = parse_request(std::string_view(again).substr(0, again.size() - 1));
    ASSERT_TRUE(reparsed.ok()) << again;
    EXPECT_EQ(serialize_request(*reparsed), again);
    EXPECT_EQ(verb_of(*reparsed), verb_of(*r));
  }
  // The generator is not so random that nothing ever parses.
  EXPECT_GT(accepted, 0);
}

TEST(ParseRequestGarbageTest, MutatedValidLines) {
  // Valid lines of the new kinds, with one to three bytes replaced,
  // inserted or deleted.
  const std::string digest = kDigest;
  const std::vector<std::string> valid = {
      "GET a.bin 0 -",     "GET a%20b 600000 " + digest,
      "HASH docs%20a.txt", "VERIFY",
      "XXH128 " + digest,  "FROM 0",
      "FROM 600000",       "PUT a 12",
  };
  std::mt19937 rng(99);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = valid[rng() % valid.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (line.size() + 1);
      const char byte = rng() % 2 == 0 ? static_cast<char>(rng() & 0xFF) : "0aF -%\n"[rng() % 7];
      switch (rng() % 3) {
        case 0:
          if (at < line.size()) {
            line[at] = byte;
          }
          break;
        case 1:
          line.insert(at, 1, byte);
          break;
        default:
          if (at < line.size()) {
            line.erase(at, 1);
          }
          break;
      }
    }
    check_line(line);
    if (parse_request(line).ok() || parse_digest_line(line).ok() || parse_from_line(line).ok()) {
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 0);
}

TEST(ParseRequestGarbageTest, TruncatedPrefixesOfTrailerLines) {
  const std::string digest_trailer = std::string("XXH128 ") + kDigest;
  for (std::size_t n = 0; n < digest_trailer.size(); ++n) {
    auto d = parse_digest_line(std::string_view(digest_trailer).substr(0, n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.error().code, Errc::kProtocol);
  }
  // "FROM 6" .. "FROM 60000" are valid offsets themselves.
  const std::string_view from = "FROM 600000";
  int valid = 0;
  for (std::size_t n = 0; n < from.size(); ++n) {
    auto f = parse_from_line(from.substr(0, n));
    if (f.ok()) {
      ++valid;
      EXPECT_EQ(from_line(*f), std::string(from.substr(0, n)) + "\n");
    }
  }
  EXPECT_EQ(valid, 5);
}

TEST(ParseRequestGarbageTest, TruncatedPrefixesOfValidLines) {
  const struct {
    const char* line;
    int valid_proper_prefixes;
  } cases[] = {
      {"LOGIN alice s3cret", 5},       // "LOGIN alice s" .. "LOGIN alice s3cre"
      {"PUT docs%20a.txt 600000", 5},  // "... 6" .. "... 60000"
      {"GET a%C3%A9 12 -", 0},         // a GET needs all four fields
      {"GET a 12 06b05ab6733a618578af5f94892f3950", 0},
      {"HASH caf%C3%A9", 3},  // "HASH c", "ca", "caf"
      {"VERIFY", 0},
      {"VIEW x 1024", 3},       // "VIEW x 1", "10", "102"
      {"DELETE d/e", 1},        // "DELETE d"
      {"DELETE caf%C3%A9", 3},  // "DELETE c", "ca", "caf"
      {"LIST", 0},
      {"QUIT", 0},
  };
  for (const auto& c : cases) {
    const std::string_view line = c.line;
    ASSERT_TRUE(parse_request(line).ok()) << line;
    int valid = 0;
    for (std::size_t n = 0; n < line.size(); ++n) {
      valid += parse_request(line.substr(0, n)).ok() ? 1 : 0;
    }
    EXPECT_EQ(valid, c.valid_proper_prefixes) << line;
  }
}

}  // namespace
}  // namespace sfs::protocol

namespace sfs::protocol {
namespace {

TEST(VerbTableTest, EachVerbParsesToTheRequestItsTraitsDescribe) {
  struct Case {
    const char* line;
    bool transfer, write, before_login;
  };
  const Case cases[] = {
      {"LOGIN a b", false, false, true},     {"PUT a 1", true, true, false},
      {"GET a 0 -", true, false, false},     {"VIEW a 9", true, false, false},
      {"DELETE a", false, true, false},      {"LIST", false, false, false},
      {"QUIT", false, false, false},         {"HASH a", false, false, false},
      {"VERIFY", false, false, false},       {"MKDIR a 1", false, true, false},
      {"RMDIR a", false, true, false},       {"MOVE a b", false, true, false},
      {"STAT a", false, false, false},       {"COMPRESS zstd", false, false, false},
      {"NOTICES delay", false, false, true}, {"USAGE", false, false, false},
  };
  ASSERT_EQ(std::size(cases), std::variant_size_v<Request>);
  for (const Case& c : cases) {
    const auto request = parse_request(c.line);
    ASSERT_TRUE(request) << c.line;
    const VerbTraits& traits = traits_of(*request);
    const std::string_view line = c.line;
    EXPECT_EQ(traits.verb, line.substr(0, line.find(' '))) << c.line;
    EXPECT_EQ(traits.is_transfer, c.transfer) << c.line;
    EXPECT_EQ(traits.does_write, c.write) << c.line;
    EXPECT_EQ(traits.before_login, c.before_login) << c.line;
    std::string again = serialize_request(*request);
    again.pop_back();  // the '\n'
    EXPECT_EQ(verb_of(*parse_request(again)), traits.verb) << c.line;
  }
}

}  // namespace
}  // namespace sfs::protocol
