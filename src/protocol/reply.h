#pragma once
// Server replies ("OK [fields]" / "ERR CODE message") and listing entries.
//
//   ok_line({"42"}) == "OK 42\n"
//   error_line(Errc::kNotFound, "no such file") == "ERR NOTFOUND no such file\n"
//   parse_reply("ERR AUTH login failed") -> Reply{ok=false, code=kAuth, ...}

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::protocol {

struct Reply {
  bool ok = false;
  std::vector<std::string> fields;  // OK: the fields after "OK"
  Errc code = Errc::kInternal;      // ERR: the error class
  std::string message;              // ERR: text for people

  Error to_error() const { return Error{code, message}; }
};

std::string ok_line(std::initializer_list<std::string_view> fields = {});

// Non-printable bytes in `message` are replaced by '?', and it is cut to a
// bounded length, so a reply can never break the line framing.
std::string error_line(Errc code, std::string_view message);

// Fails with kProtocol when the line is not a well-formed reply.
Result<Reply> parse_reply(std::string_view line);

std::string_view wire_code(Errc code);
// The name of any error class, for logs: the wire code, or NETWORK, TRUST,
// LOCAL for the classes that never travel.
std::string_view error_name(Errc code);

// One line of a LIST reply.
struct Entry {
  char type = 'f';  // 'f' file, 'd' directory
  std::uint64_t size = 0;
  std::uint64_t mtime = 0;  // seconds since the epoch
  std::string digest;       // digest (hex), empty when the server has none
  std::string name;
};

std::string serialize_entry(const Entry& entry);
Result<Entry> parse_entry(std::string_view line);

// The reply to STAT: "OK " followed by the entry's fields, its name being
// the path asked about. parse_stat_reply takes the fields of an OK reply.
std::string stat_line(const Entry& entry);
Result<Entry> parse_stat_reply(const Reply& reply);

// One line of a VERIFY reply: "<status> <name>".
struct FileStatus {
  enum class Kind { kOk, kCorrupt, kUnhashed, kUnreadable };
  Kind kind = Kind::kOk;
  std::string name;
};

std::string_view status_word(FileStatus::Kind kind);
std::string serialize_file_status(const FileStatus& status);
Result<FileStatus> parse_file_status(std::string_view line);

}  // namespace sfs::protocol
