#include "server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "protocol/percent.h"

namespace sfs::server {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
// JSON mode only: operation records, whose fields this file writes itself.
std::shared_ptr<spdlog::logger> g_audit;
// JSON mode only: the start-up lines on stdout (port, fingerprint).
std::shared_ptr<spdlog::logger> g_stdout;

constexpr char kJsonPattern[] = R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})";

// %* in a pattern: the message, escaped for a JSON string or a text line.
// Every message goes through it, so no caller can let untrusted text
// (a name, a path, an error quoting them) reach the log raw.
template <std::string (*kEscape)(std::string_view)>
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string escaped = kEscape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

using JsonMessage = EscapedMessage<&json_escape>;
using TextMessage = EscapedMessage<&escape_for_text_log>;

std::unique_ptr<spdlog::formatter> json_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JsonMessage>('*').set_pattern(kJsonPattern);
  return formatter;
}

}  // namespace

void setup_logging(LogFormat format) {
  g_format = format;
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("sfs-server", sink);
  if (format == LogFormat::kJson) {
    logger->set_formatter(json_formatter());
    g_stdout = std::make_shared<spdlog::logger>("sfs-stdout",
                                                std::make_shared<spdlog::sinks::stdout_sink_mt>());
    g_stdout->set_formatter(json_formatter());
    g_stdout->flush_on(spdlog::level::info);
    // A sink of its own: in spdlog the format belongs to the sink.
    g_audit = std::make_shared<spdlog::logger>("sfs-audit",
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_audit->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
    g_audit->flush_on(spdlog::level::info);
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<TextMessage>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %*");
    logger->set_formatter(std::move(formatter));
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void print_startup_line(std::string_view message) {
  if (g_format == LogFormat::kJson && g_stdout) {
    g_stdout->info("{}", message);
    return;
  }
  std::printf("sfs-server: %s\n", escape_for_text_log(message).c_str());
  std::fflush(stdout);
}

void print_fatal(std::string_view message) {
  if (g_format == LogFormat::kJson) {
    spdlog::critical("{}", message);
    return;
  }
  std::fprintf(stderr, "sfs-server: %s\n", escape_for_text_log(message).c_str());
}

void log_operation(const OperationRecord& r) {
  const std::string path = protocol::percent_encode(r.path);
  if (g_format == LogFormat::kJson && g_audit) {
    const std::string wire = r.wire ? fmt::format(R"(,"wire":{},"zstd_frames":{},"raw_frames":{})",
                                                  r.wire_bytes, r.zstd_frames, r.raw_frames)
                                    : std::string();
    g_audit->info(R"("event":"operation","user":"{}","peer":"{}","op":"{}","path":"{}","bytes":{},)"
                  R"("from":{},"result":"{}","detail":"{}"{})",
                  json_escape(r.user), json_escape(r.peer), json_escape(r.op), json_escape(path),
                  r.bytes, r.from, json_escape(r.result), json_escape(r.detail), wire);
    return;
  }
  std::string amounts = r.from > 0 ? " from=" + std::to_string(r.from) : "";
  amounts += " bytes=" + std::to_string(r.bytes);
  if (r.wire) {
    amounts += fmt::format(" wire={} zstd_frames={} raw_frames={}", r.wire_bytes, r.zstd_frames,
                           r.raw_frames);
  }
  // Error messages may quote what the client sent: the text formatter
  // escapes them with the rest of the line (log_escape.h).
  const std::string_view detail = r.detail;
  if (detail.empty()) {
    spdlog::info("user={} peer={} op={} path={}{} result={}", r.user, r.peer, r.op, path, amounts,
                 r.result);
  } else {
    spdlog::info("user={} peer={} op={} path={}{} result={} ({})", r.user, r.peer, r.op, path,
                 amounts, r.result, detail);
  }
}

}  // namespace sfs::server
