// Parser and serializer of the folder requests (MKDIR, RMDIR, MOVE, STAT,
// LIST <path>) and of the STAT reply.

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "protocol/reply.h"
#include "protocol/request.h"

namespace sfs::protocol {
namespace {

template <typename T>
T parse_as(const std::string& line) {
  auto r = parse_request(line);
  EXPECT_TRUE(r.ok()) << "'" << line << "': " << (r.ok() ? "" : r.error().message);
  if (!r.ok() || !std::holds_alternative<T>(*r)) {
    ADD_FAILURE() << "'" << line << "' did not parse as expected";
    return T{};
  }
  return std::get<T>(*r);
}

void expect_error(const std::string& line, Errc code) {
  auto r = parse_request(line);
  ASSERT_FALSE(r.ok()) << "accepted: '" << line << "' as " << verb_of(*r);
  EXPECT_EQ(r.error().code, code) << "'" << line << "': " << r.error().message;
}

TEST(FolderRequestTest, MakeDir) {
  const MakeDir a = parse_as<MakeDir>("MKDIR docs%2F2026 1");
  EXPECT_EQ(a.path, "docs/2026");
  EXPECT_TRUE(a.parents);
  const MakeDir b = parse_as<MakeDir>("MKDIR a/b%20c 0");
  EXPECT_EQ(b.path, "a/b c");
  EXPECT_FALSE(b.parents);
  EXPECT_EQ(serialize_request(MakeDir{"a b/c", true}), "MKDIR a%20b/c 1\n");
  EXPECT_EQ(serialize_request(MakeDir{"x", false}), "MKDIR x 0\n");
  for (const char* line : {"MKDIR", "MKDIR a", "MKDIR a 2", "MKDIR a -p", "MKDIR a 01",
                           "MKDIR a 1 1", "MKDIR  a 1", "MKDIR a 1 ", "mkdir a 1"}) {
    expect_error(line, Errc::kBadRequest);
  }
}

TEST(FolderRequestTest, RemoveDirAndStat) {
  EXPECT_EQ(parse_as<RemoveDir>("RMDIR old%0Adir").path, "old\ndir");
  EXPECT_EQ(parse_as<Stat>("STAT d/caf%C3%A9").path, "d/caf\xC3\xA9");
  EXPECT_EQ(serialize_request(RemoveDir{"100%"}), "RMDIR 100%25\n");
  EXPECT_EQ(serialize_request(Stat{"a b"}), "STAT a%20b\n");
  for (const char* line : {"RMDIR", "RMDIR a b", "STAT", "STAT a b", "Stat a"}) {
    expect_error(line, Errc::kBadRequest);
  }
}

TEST(FolderRequestTest, Move) {
  const Move m = parse_as<Move>("MOVE a%20b.txt docs/2026");
  EXPECT_EQ(m.path, "a b.txt");
  EXPECT_EQ(m.target, "docs/2026");
  EXPECT_EQ(serialize_request(Move{"x\ny", "d/%"}), "MOVE x%0Ay d/%25\n");
  for (const char* line : {"MOVE", "MOVE a", "MOVE a b c", "MOVE a  b"}) {
    expect_error(line, Errc::kBadRequest);
  }
}

TEST(FolderRequestTest, ListWithAndWithoutPath) {
  EXPECT_EQ(parse_as<List>("LIST").path, "");
  EXPECT_EQ(parse_as<List>("LIST docs%2F2026").path, "docs/2026");
  EXPECT_EQ(serialize_request(List{}), "LIST\n");
  EXPECT_EQ(serialize_request(List{"a b"}), "LIST a%20b\n");
  expect_error("LIST a b", Errc::kBadRequest);
  expect_error("LIST ", Errc::kBadRequest);
}

TEST(FolderRequestTest, EveryPathRuleAppliesToEveryNewVerb) {
  for (const char* path : {"..", "a/../b", "%2Fetc", "a//b", "a/", ".", ".sfs-tmp-x",
                           "d/.sfs-part-1", "caf%C3", "%00", "%FF"}) {
    const std::string p = path;
    for (const std::string& line : {"MKDIR " + p + " 1", "RMDIR " + p, "STAT " + p, "LIST " + p,
                                    "MOVE " + p + " ok", "MOVE ok " + p}) {
      expect_error(line, Errc::kBadPath);
    }
  }
}

TEST(FolderRequestTest, RoundTripsAwkwardNames) {
  for (const std::string name :
       {"a", "a b", "100%", "line\nbreak", "caf\xC3\xA9/\xF0\x9F\x98\x80", "q\"'`", "d/e f/g"}) {
    for (const Request& r :
         {Request{MakeDir{name, true}}, Request{RemoveDir{name}}, Request{Move{name, name + "2"}},
          Request{Stat{name}}, Request{List{name}}}) {
      const std::string line = serialize_request(r);
      ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
      auto back = parse_request(std::string_view(line).substr(0, line.size() - 1));
      ASSERT_TRUE(back.ok()) << line;
      EXPECT_EQ(serialize_request(*back), line);
      EXPECT_EQ(verb_of(*back), verb_of(r));
    }
  }
}

TEST(StatReplyTest, RoundTrip) {
  const Entry e{'d', 4096, 1700000000, "", "docs/my dir\n"};
  const std::string line = stat_line(e);
  EXPECT_EQ(line, "OK d 4096 1700000000 - docs/my%20dir%0A\n");
  auto reply = parse_reply(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(reply.ok());
  auto back = parse_stat_reply(*reply);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, 'd');
  EXPECT_EQ(back->size, 4096U);
  EXPECT_EQ(back->mtime, 1700000000U);
  EXPECT_EQ(back->digest, "");
  EXPECT_EQ(back->name, "docs/my dir\n");
}

TEST(StatReplyTest, RefusesMalformed) {
  for (const char* line :
       {"OK", "OK f 1 2 -", "OK x 1 2 - a", "OK f -1 2 - a", "OK f 1 2 zz a", "OK f 1 2 - a b"}) {
    auto reply = parse_reply(line);
    ASSERT_TRUE(reply.ok()) << line;
    EXPECT_FALSE(parse_stat_reply(*reply).ok()) << line;
  }
}

TEST(ReplyCodesTest, NewCodesTravel) {
  for (const auto& [code, name] :
       {std::pair{Errc::kNotDir, "NOTDIR"}, std::pair{Errc::kExists, "EXISTS"},
        std::pair{Errc::kNotEmpty, "NOTEMPTY"}}) {
    const std::string line = error_line(code, "x");
    EXPECT_EQ(line, std::string("ERR ") + name + " x\n");
    auto reply = parse_reply(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->code, code);
  }
}

}  // namespace
}  // namespace sfs::protocol
