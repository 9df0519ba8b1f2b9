#pragma once
// The server's log on stderr, as text or as JSON lines, and the audit
// record of each operation: time, user, peer, operation, path, bytes,
// result. Never a password or file content.
//
//   setup_logging(LogFormat::kJson);
//   log_operation({.user = "alice", .peer = "127.0.0.1:5000", .op = "PUT", ...});

#include <cstdint>
#include <string>
#include <string_view>

#include "server/log_escape.h"

namespace sfs::server {

enum class LogFormat { kText, kJson };

// Installs the default logger. In JSON mode every line is an object:
// {"time":...,"level":...,"msg":...}, and operations carry their fields.
// In both formats every message is escaped (server/log_escape.h): controls,
// bidi overrides and invisible characters never reach the log raw.
void setup_logging(LogFormat format);

// A start-up line on stdout, where scripts and tests read the port and the
// certificate's fingerprint: "sfs-server: <message>" as text, or in JSON
// mode an object like every log line ({"time","level":"info","msg"}).
void print_startup_line(std::string_view message);

// The one line a failed start says, on stderr: "sfs-server: <message>" as
// text, or in JSON mode an object with level "critical".
void print_fatal(std::string_view message);

struct OperationRecord {
  std::string_view user;
  std::string_view peer;
  std::string_view op;
  std::string_view path;    // as the user gave it; logged percent-encoded
  std::uint64_t bytes = 0;  // moved by this operation
  std::uint64_t from = 0;   // where a resumed transfer started
  std::string_view result;  // "ok" or the wire error code
  std::string_view detail;  // the error message, if any
  // A transfer on a connection that agreed on COMPRESS zstd also logs what
  // crossed the wire: frame bytes (headers included), frames sent
  // compressed and raw. Left out when `wire` is false.
  bool wire = false;
  std::uint64_t wire_bytes = 0;
  std::uint64_t zstd_frames = 0;
  std::uint64_t raw_frames = 0;
};

void log_operation(const OperationRecord& record);

}  // namespace sfs::server
