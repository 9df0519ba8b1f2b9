#pragma once
// Client requests: parse a command line (without its '\n') into a Request,
// and serialize a Request into a line (with '\n').
//
//   auto r = parse_request("PUT a%20b.txt 12");   // Put{"a b.txt", 12}
//   serialize_request(Put{"a b.txt", 12}) == "PUT a%20b.txt 12\n"
//   parse_request("MKDIR docs%2F2026 1");    // MakeDir{"docs/2026", true}

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace sfs::protocol {

struct Login {
  std::string user;
  std::string password;
};
struct Put {
  std::string path;
  std::uint64_t size = 0;
  // The modification time (seconds since the epoch) the stored file gets;
  // none: the time of the upload.
  std::optional<std::uint64_t> mtime;
  // The offer's XXH3-128 digest (hex) of the whole local file; empty: none
  // (the old form). With it the server answers "OK unchanged" when it holds
  // a file of this size and digest at `path`, and sends nothing more.
  std::string digest;
  // "now" (needs `digest`): the data, end frame and trailer follow the line
  // at once, with no offer and no FROM; the one reply comes after them, so
  // a client can keep several of these in flight (docs/protocol.md).
  bool now = false;
};
struct Get {
  std::string path;
  std::uint64_t offset = 0;
  std::string digest;  // what the client's partial copy is of; empty: none
};
struct View {
  std::string path;
  std::uint64_t max_bytes = 0;
};
struct Delete {
  std::string path;
};
// LIST with an empty path lists the top of the user's tree.
struct List {
  std::string path;
};
struct Quit {};
struct Hash {
  std::string path;
};
struct Verify {};
// MKDIR: with `parents`, missing parents are created and an existing
// directory is not an error (mkdir -p).
struct MakeDir {
  std::string path;
  bool parents = false;
};
// RMDIR: empty directories only.
struct RemoveDir {
  std::string path;
};
// MOVE `path` to `target` (mv semantics: into `target` when it is a directory).
struct Move {
  std::string path;
  std::string target;
};
struct Stat {
  std::string path;
};

// "COMPRESS zstd": compress data frames from here on (docs/protocol.md).
struct Compress {
  std::string algorithm;  // a lower-case word; the server knows "zstd"
};

// "NOTICES delay": the client understands the notice lines of that kind
// (docs/protocol.md); sent before LOGIN, accepted at any time.
struct Notices {
  std::string kind;  // a lower-case word; the server knows "delay"
};

// "USAGE": what the user's files take and the limits on them (`sfs df`);
// answered "OK <bytes> <entries> <quota-bytes> <quota-entries>
// <max-file-bytes>", a limit of 0 meaning none (docs/protocol.md).
struct UsageQuery {};

using Request = std::variant<Login, Put, Get, View, Delete, List, Quit, Hash, Verify, MakeDir,
                             RemoveDir, Move, Stat, Compress, Notices, UsageQuery>;

// What the server needs to know of a request's verb (one table in
// request.cc holds every verb's grammar and traits).
struct VerbTraits {
  std::string_view verb;  // the command word: "PUT", ...
  bool is_transfer;       // moves file data in frames (its log line counts the wire)
  bool does_write;        // changes the user's tree
  bool before_login;      // accepted before LOGIN
  // One file's work (a transfer, a STAT): its reply may wait to share a
  // send with the next pipelined ones (server/sfsp, docs/protocol.md).
  bool quick;
};
const VerbTraits& traits_of(const Request& request);

// The command word of a request ("PUT", ...), for logs and dispatch.
std::string_view verb_of(const Request& request);

// Fails with kBadRequest for an unknown verb, a wrong number of fields, a
// bad number or bad escape, and with kBadPath when a path breaks the rules.
Result<Request> parse_request(std::string_view line);

std::string serialize_request(const Request& request);

// The size a "PUT <path> <size> <mtime|-> <digest> now" line announces, also
// when parse_request refuses it (a bad path, say): its data follows it all
// the same, so the server reads that through before the next command.
// Nullopt for any other line, or when the size is not a number.
std::optional<std::uint64_t> announced_data(std::string_view line);

// The greeting the server sends first: "SFS 1\n".
std::string greeting_line();
// Returns the protocol version announced by a greeting line. Words after the
// version ("SFS 1 foo bar": lower-case feature names) are accepted and
// ignored, so that a later server may announce features to this client.
Result<int> parse_greeting(std::string_view line);

// The trailer after a data stream: "XXH128 <32 hex digits>\n".
std::string digest_line(std::string_view hex);
// Returns the hex digest of a trailer line; kProtocol when malformed.
Result<std::string> parse_digest_line(std::string_view line);

// The notice a server sends before the reply to a LOGIN it holds back, to
// a client that sent "NOTICES delay": "DELAY <milliseconds>\n", with
// 1 <= milliseconds <= kMaxDelayMs (a shorter or longer hold is clamped).
std::string delay_line(std::chrono::milliseconds hold);
// The announced hold of a DELAY line; kProtocol when malformed or out of range.
Result<std::chrono::milliseconds> parse_delay_line(std::string_view line);

// After "OK <held> <digest>" to a PUT, the client says where its data
// starts: "FROM <offset>\n" (0, or the held length to resume).
std::string from_line(std::uint64_t offset);
Result<std::uint64_t> parse_from_line(std::string_view line);

// Splits a line into fields separated by exactly one space. Fails on empty
// fields (leading, trailing or double spaces) and on control bytes.
Result<std::vector<std::string_view>> split_fields(std::string_view line);

}  // namespace sfs::protocol
