// The client's JSON output helpers and the tree progress line.

#include "client/json.h"

#include <gtest/gtest.h>

#include <string>

#include "client/tree_progress.h"

namespace sfs::client {
namespace {

TEST(JsonStringTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("plain name.txt"), "\"plain name.txt\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("new\nline\r\ttab"), "\"new\\nline\\r\\ttab\"");
  EXPECT_EQ(json_string(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json_string(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(json_string("100% / %41"), "\"100% / %41\"");
}

TEST(JsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_string("caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(json_string("bad\xFFname"), "\"bad\\ufffdname\"");
  EXPECT_EQ(json_string("cut\xC3"), "\"cut\\ufffd\"");
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
}

TEST(EntryJsonTest, StableKeys) {
  const protocol::Entry file{'f', 5, 1700000000, "0123456789abcdef0123456789abcdef", "a\nb"};
  EXPECT_EQ(entry_json(file, "d/a\nb"),
            "{\"path\":\"d/a\\nb\",\"name\":\"a\\nb\",\"type\":\"file\",\"size\":5,"
            "\"mtime\":1700000000,\"digest\":"
            "\"0123456789abcdef0123456789abcdef\"}");
  const protocol::Entry dir{'d', 4096, 7, "", "d"};
  EXPECT_EQ(entry_json(dir, "d"),
            "{\"path\":\"d\",\"name\":\"d\",\"type\":\"directory\",\"size\":4096,\"mtime\":7,"
            "\"digest\":null}");
}

TEST(TreeProgressTest, Line) {
  TreeProgress progress("put -r x", 4, 4096);
  EXPECT_EQ(progress.line(0), "put -r x  0/4 files  0 B / 4.0 KiB    0%  0 B/s  ETA --:--");
  progress.file_done(1024);
  progress.update(1024);
  EXPECT_EQ(progress.line(2), "put -r x  1/4 files  2.0 KiB / 4.0 KiB   50%  1.0 KiB/s  ETA 0:02");
  progress.file_done(1024);
  progress.file_done(2048);
  progress.file_done(0);
  EXPECT_EQ(progress.line(4), "put -r x  4/4 files  4.0 KiB / 4.0 KiB  100%  1.0 KiB/s  ETA 0:00");
}

TEST(TreeProgressTest, EmptyFilesOnly) {
  TreeProgress progress("get -r e", 2, 0);
  progress.file_done(0);
  EXPECT_EQ(progress.line(1), "get -r e  1/2 files  0 B / 0 B   50%  0 B/s  ETA --:--");
}

}  // namespace
}  // namespace sfs::client
