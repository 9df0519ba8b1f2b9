#include "server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>

#include "protocol/percent.h"

namespace sfs::server {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
// JSON mode only: operation records, whose fields this file writes itself.
std::shared_ptr<spdlog::logger> g_audit;

// %* in a pattern: the message, escaped for a JSON string.
class JsonMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string escaped =
        json_escape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

}  // namespace

std::string json_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

void setup_logging(LogFormat format) {
  g_format = format;
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("sfs-server", sink);
  if (format == LogFormat::kJson) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(formatter));
    // A sink of its own: in spdlog the format belongs to the sink.
    g_audit = std::make_shared<spdlog::logger>("sfs-audit",
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_audit->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
    g_audit->flush_on(spdlog::level::info);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
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
  // Error messages may quote what the client sent: no control bytes reach
  // the text log, so no line can be forged.
  std::string detail(r.detail);
  for (char& c : detail) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      c = '?';
    }
  }
  if (detail.empty()) {
    spdlog::info("user={} peer={} op={} path={}{} result={}", r.user, r.peer, r.op, path, amounts,
                 r.result);
  } else {
    spdlog::info("user={} peer={} op={} path={}{} result={} ({})", r.user, r.peer, r.op, path,
                 amounts, r.result, detail);
  }
}

}  // namespace sfs::server
