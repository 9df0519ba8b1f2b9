#include "server/config_file.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "config/toml_file.h"
#include "protocol/limits.h"

namespace sfs::server {

namespace {

namespace fs = std::filesystem;
using config::quote;
using config::type_name;

// One key of the file: how to read a TOML value into the settings (an
// empty string when it was fine, else the problem) and how to print it.
struct Setting {
  std::string_view key;
  std::function<std::string(const toml::node&)> assign;
  std::function<std::string()> show;
};

constexpr std::uint64_t kMaxSeconds = 365ULL * 24 * 3600;  // as the flags allow
constexpr std::uint64_t kUnbounded = INT64_MAX;            // TOML's largest integer

std::string expected(std::string_view what, const toml::node& node) {
  return fmt::format("expected {}, got {}", what, type_name(node));
}

Setting text(std::string_view key, std::string& field, bool may_be_empty) {
  return {key,
          [&field, may_be_empty](const toml::node& node) -> std::string {
            const auto* value = node.as_string();
            if (value == nullptr) {
              return expected("a string", node);
            }
            if (value->get().empty() && !may_be_empty) {
              return "must not be empty";
            }
            field = value->get();
            return {};
          },
          [&field] { return quote(field); }};
}

Setting path(std::string_view key, fs::path& field) {
  return {key,
          [&field](const toml::node& node) -> std::string {
            const auto* value = node.as_string();
            if (value == nullptr) {
              return expected("a string (a path)", node);
            }
            if (value->get().empty()) {
              return "must not be empty";
            }
            field = value->get();
            return {};
          },
          [&field] { return quote(field.string()); }};
}

Setting flag(std::string_view key, bool& field) {
  return {key,
          [&field](const toml::node& node) -> std::string {
            const auto* value = node.as_boolean();
            if (value == nullptr) {
              return expected("true or false", node);
            }
            field = value->get();
            return {};
          },
          [&field] { return std::string(field ? "true" : "false"); }};
}

template <typename T>
Setting integer(std::string_view key, T& field, std::uint64_t min, std::uint64_t max) {
  return {key,
          [&field, min, max](const toml::node& node) -> std::string {
            auto value = config::integer_in(node, min, max);
            if (!value) {
              return value.error().message;
            }
            field = static_cast<T>(*value);
            return {};
          },
          [&field] { return std::to_string(field); }};
}

Setting seconds(std::string_view key, std::chrono::seconds& field) {
  return {key,
          [&field](const toml::node& node) -> std::string {
            auto value = config::integer_in(node, 0, kMaxSeconds, "seconds");
            if (!value) {
              return value.error().message;
            }
            field = std::chrono::seconds(static_cast<std::int64_t>(*value));
            return {};
          },
          [&field] { return std::to_string(field.count()); }};
}

Setting log_format(LogFormat& field) {
  return {"log-format",
          [&field](const toml::node& node) -> std::string {
            const auto* value = node.as_string();
            if (value == nullptr) {
              return expected("\"text\" or \"json\"", node);
            }
            if (value->get() != "text" && value->get() != "json") {
              return fmt::format("must be \"text\" or \"json\" (got {})", quote(value->get()));
            }
            field = value->get() == "json" ? LogFormat::kJson : LogFormat::kText;
            return {};
          },
          [&field] { return quote(field == LogFormat::kJson ? "json" : "text"); }};
}

// Every flag of sfs-server, bound to `s`; the same ranges as the flags.
std::vector<Setting> settings_of(ServerSettings& s) {
  Config& c = s.config;
  return {
      text("host", c.host, false),
      integer("port", c.port, 0, 65535),
      path("auth-file", c.auth_file),
      path("storage", c.storage_dir),
      path("cert", c.cert_file),
      path("key", c.key_file),
      integer("threads", c.threads, 0, 4096),
      text("run-as", s.run_as, true),
      flag("allow-root", s.allow_root),
      log_format(s.log_format),
      flag("tls12", c.allow_tls12),
      flag("no-compress", s.no_compress),
      seconds("partial-ttl", c.partial_ttl),
      seconds("drain-timeout", c.drain_timeout),
      seconds("handshake-timeout", c.handshake_timeout),
      seconds("login-timeout", c.login_timeout),
      seconds("login-cache-ttl", c.login_cache_ttl),
      seconds("idle-timeout", c.idle_timeout),
      seconds("io-timeout", c.io_timeout),
      integer("min-transfer-rate", c.min_transfer_rate, 0, kMaxMinTransferRate),
      integer("max-transfer-memory", c.max_transfer_memory, kMinTransferMemory, kMaxTransferMemory),
      integer("max-login-attempts", c.max_login_attempts, 1, 100),
      integer("max-connections", c.max_connections, 1, 1000000),
      integer("max-connections-per-ip", c.max_connections_per_source, 1, 1000000),
      integer("max-unauthenticated", c.max_unauthenticated, 1, 1000000),
      integer("unauthenticated-share-per-ip", c.unauthenticated_share_per_source, 0, 1000000),
      integer("max-concurrent-hashing", c.max_concurrent_hashing, 1, 64),
      integer("max-file-size", c.max_file_bytes, 0, kUnbounded),
      integer("max-line", c.max_line_bytes, 512, protocol::kMaxLineBytes),
      integer("max-frame", c.max_frame_bytes, protocol::kDefaultFrameBytes,
              protocol::kMaxFrameBytes),
      integer("max-path", c.max_path_bytes, 16, protocol::kMaxPathBytes),
      integer("quota-bytes", c.quota_bytes, 0, kUnbounded),
      integer("quota-files", c.quota_files, 0, kUnbounded),
  };
}

const Setting* find(const std::vector<Setting>& settings, std::string_view key) {
  for (const Setting& setting : settings) {
    if (setting.key == key) {
      return &setting;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> setting_keys() {
  ServerSettings scratch;
  std::vector<std::string_view> keys;
  for (const Setting& setting : settings_of(scratch)) {
    keys.push_back(setting.key);
  }
  return keys;
}

Result<void> apply_config_file(const fs::path& file, ServerSettings& settings,
                               const std::function<bool(std::string_view)>& given_on_command_line) {
  auto table = config::read_toml(file);
  if (!table) {
    return table.error();
  }
  // A key the command line overrides is still checked, into a scratch copy:
  // a broken file should not start working only while a flag hides it.
  ServerSettings scratch;
  const std::vector<Setting> real = settings_of(settings);
  const std::vector<Setting> checked_only = settings_of(scratch);
  for (auto&& [key, node] : *table) {
    const bool overridden = given_on_command_line(key.str());
    const Setting* setting = find(overridden ? checked_only : real, key.str());
    if (setting == nullptr) {
      return config::key_error(file, key, "unknown setting (see sfs-server --help)");
    }
    if (std::string problem = setting->assign(node); !problem.empty()) {
      return config::key_error(file, key, problem);
    }
  }
  return {};
}

std::string format_settings(const ServerSettings& settings) {
  // settings_of() binds mutable references; printing changes nothing.
  ServerSettings copy = settings;
  std::string out;
  for (const Setting& setting : settings_of(copy)) {
    out += fmt::format("{} = {}\n", setting.key, setting.show());
  }
  return out;
}

}  // namespace sfs::server
