#include "protocol/reply.h"

#include "crypto/digest.h"
#include "protocol/numbers.h"
#include "protocol/percent.h"
#include "protocol/request.h"

namespace sfs::protocol {
namespace {

constexpr std::size_t kMaxMessageBytes = 512;

struct CodeName {
  Errc code;
  std::string_view name;
};

constexpr CodeName kCodes[] = {
    {Errc::kAuth, "AUTH"},           {Errc::kBadRequest, "BADCMD"},
    {Errc::kBadPath, "BADPATH"},     {Errc::kNotFound, "NOTFOUND"},
    {Errc::kIsDir, "ISDIR"},         {Errc::kNotDir, "NOTDIR"},
    {Errc::kExists, "EXISTS"},       {Errc::kNotEmpty, "NOTEMPTY"},
    {Errc::kTooLarge, "TOOLARGE"},   {Errc::kIo, "IO"},
    {Errc::kAborted, "ABORTED"},     {Errc::kProtocol, "PROTOCOL"},
    {Errc::kIntegrity, "INTEGRITY"}, {Errc::kInternal, "INTERNAL"},
};

Error malformed() { return make_error(Errc::kProtocol, "malformed reply from server"); }

}  // namespace

std::string_view wire_code(Errc code) {
  for (const CodeName& c : kCodes) {
    if (c.code == code) {
      return c.name;
    }
  }
  return "INTERNAL";  // client-only classes never travel
}

std::string_view error_name(Errc code) {
  switch (code) {
    case Errc::kNetwork:
      return "NETWORK";
    case Errc::kTrust:
      return "TRUST";
    case Errc::kLocal:
      return "LOCAL";
    default:
      return wire_code(code);
  }
}

std::string ok_line(std::initializer_list<std::string_view> fields) {
  std::string line = "OK";
  for (const std::string_view f : fields) {
    line += ' ';
    line += f;
  }
  line += '\n';
  return line;
}

std::string error_line(Errc code, std::string_view message) {
  std::string line = "ERR ";
  line += wire_code(code);
  line += ' ';
  const std::string_view text = message.empty() ? std::string_view("error") : message;
  for (const char c : text.substr(0, kMaxMessageBytes)) {
    const auto u = static_cast<unsigned char>(c);
    line += (u >= 0x20 && u < 0x7F) ? c : '?';
  }
  line += '\n';
  return line;
}

Result<Reply> parse_reply(std::string_view line) {
  Reply reply;
  if (line == "OK") {
    reply.ok = true;
    return reply;
  }
  if (line.starts_with("OK ")) {
    auto fields = split_fields(line.substr(3));
    if (!fields) {
      return malformed();
    }
    reply.ok = true;
    reply.fields.assign(fields->begin(), fields->end());
    return reply;
  }
  if (!line.starts_with("ERR ")) {
    return malformed();
  }
  const std::string_view rest = line.substr(4);
  const std::size_t space = rest.find(' ');
  const std::string_view name = rest.substr(0, space);
  bool known = false;
  for (const CodeName& c : kCodes) {
    if (c.name == name) {
      reply.code = c.code;
      known = true;
    }
  }
  if (!known) {
    return malformed();
  }
  reply.message = space == std::string_view::npos ? "" : std::string(rest.substr(space + 1));
  return reply;
}

std::string serialize_entry(const Entry& entry) {
  return std::string(1, entry.type) + " " + std::to_string(entry.size) + " " +
         std::to_string(entry.mtime) + " " + (entry.digest.empty() ? "-" : entry.digest) + " " +
         percent_encode(entry.name) + "\n";
}

Result<Entry> parse_entry(std::string_view line) {
  auto fields = split_fields(line);
  if (!fields || fields->size() != 5) {
    return malformed();
  }
  const auto& f = *fields;
  auto size = parse_u64(f[1]);
  auto mtime = parse_u64(f[2]);
  auto name = percent_decode(f[4]);
  const bool digest_ok = f[3] == "-" || crypto::is_digest_hex(f[3]);
  if ((f[0] != "f" && f[0] != "d") || !size || !mtime || !digest_ok || !name) {
    return malformed();
  }
  return Entry{f[0][0], *size, *mtime, f[3] == "-" ? std::string() : std::string(f[3]),
               std::move(*name)};
}

std::string stat_line(const Entry& entry) { return "OK " + serialize_entry(entry); }

Result<Entry> parse_stat_reply(const Reply& reply) {
  if (!reply.ok || reply.fields.size() != 5) {
    return malformed();
  }
  std::string line = reply.fields[0];
  for (std::size_t i = 1; i < reply.fields.size(); ++i) {
    line += ' ';
    line += reply.fields[i];
  }
  return parse_entry(line);
}

namespace {

struct StatusName {
  FileStatus::Kind kind;
  std::string_view word;
};

constexpr StatusName kStatusWords[] = {
    {FileStatus::Kind::kOk, "ok"},
    {FileStatus::Kind::kCorrupt, "corrupt"},
    {FileStatus::Kind::kUnhashed, "unhashed"},
    {FileStatus::Kind::kUnreadable, "unreadable"},
};

}  // namespace

std::string_view status_word(FileStatus::Kind kind) {
  for (const StatusName& s : kStatusWords) {
    if (s.kind == kind) {
      return s.word;
    }
  }
  return "unreadable";
}

std::string serialize_file_status(const FileStatus& status) {
  return std::string(status_word(status.kind)) + " " + percent_encode(status.name) + "\n";
}

Result<FileStatus> parse_file_status(std::string_view line) {
  auto fields = split_fields(line);
  if (!fields || fields->size() != 2) {
    return malformed();
  }
  auto name = percent_decode((*fields)[1]);
  if (!name) {
    return malformed();
  }
  for (const StatusName& s : kStatusWords) {
    if (s.word == (*fields)[0]) {
      return FileStatus{s.kind, std::move(*name)};
    }
  }
  return malformed();
}

}  // namespace sfs::protocol
