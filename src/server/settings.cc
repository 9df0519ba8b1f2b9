#include "server/settings.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <type_traits>

#include "config/toml_file.h"
#include "protocol/limits.h"
#include "server/proxy_protocol.h"
#include "storage/s3/s3_backend.h"

namespace sfs::server {

namespace {

namespace fs = std::filesystem;
using config::quote;
using config::type_name;

constexpr std::uint64_t kMaxSeconds = 365ULL * 24 * 3600;  // a year
constexpr std::uint64_t kUnbounded = INT64_MAX;            // TOML's largest integer

// The documented part of a row.
struct Doc {
  std::string_view key;
  std::string_view value_name;
  std::string_view help;
};

// Where a row's value lives: a member of Config or of ServerSettings.
template <typename T>
T& at(ServerSettings& s, T Config::*member) {
  return s.config.*member;
}
template <typename T>
const T& at(const ServerSettings& s, T Config::*member) {
  return s.config.*member;
}
template <typename T>
T& at(ServerSettings& s, T ServerSettings::*member) {
  return s.*member;
}
template <typename T>
const T& at(const ServerSettings& s, T ServerSettings::*member) {
  return s.*member;
}

template <typename M>
using FieldOf = std::remove_reference_t<decltype(at(std::declval<ServerSettings&>(), M{}))>;

std::string flag_of(const Doc& doc) { return "--" + std::string(doc.key); }

std::string expected(std::string_view what, const toml::node& node) {
  return fmt::format("expected {}, got {}", what, type_name(node));
}

// A string; a path when M is a member of type fs::path.
template <typename M>
Setting text(Doc doc, M member, bool may_be_empty) {
  constexpr bool kPath = std::is_same_v<FieldOf<M>, fs::path>;
  return {
      doc.key,
      doc.value_name,
      doc.help,
      [doc, member](CLI::App& app, ServerSettings& s) {
        app.add_option(flag_of(doc), at(s, member), std::string(doc.help))->capture_default_str();
      },
      [member, may_be_empty](const toml::node& node, ServerSettings& s) -> std::string {
        const auto* value = node.as_string();
        if (value == nullptr) {
          return expected(kPath ? "a string (a path)" : "a string", node);
        }
        if (value->get().empty() && !may_be_empty) {
          return "must not be empty";
        }
        at(s, member) = value->get();
        return {};
      },
      [member](const ServerSettings& s) {
        if constexpr (kPath) {
          return quote(at(s, member).string());
        } else {
          return quote(at(s, member));
        }
      }};
}

// A switch: present on the command line, true or false in the file.
template <typename M>
Setting on_off(Doc doc, M member) {
  return {
      doc.key,
      doc.value_name,
      doc.help,
      [doc, member](CLI::App& app, ServerSettings& s) {
        app.add_flag(flag_of(doc), at(s, member), std::string(doc.help));
      },
      [member](const toml::node& node, ServerSettings& s) -> std::string {
        const auto* value = node.as_boolean();
        if (value == nullptr) {
          return expected("true or false", node);
        }
        at(s, member) = value->get();
        return {};
      },
      [member](const ServerSettings& s) { return std::string(at(s, member) ? "true" : "false"); }};
}

// A whole number in [min, max]; the command line parses it as Parse (the
// field's own type unless that is too narrow to see an out-of-range value).
template <typename Parse = void, typename M>
Setting integer(Doc doc, M member, std::uint64_t min, std::uint64_t max) {
  using T = FieldOf<M>;
  using P = std::conditional_t<std::is_void_v<Parse>, T, Parse>;
  return {doc.key,
          doc.value_name,
          doc.help,
          [doc, member, min, max](CLI::App& app, ServerSettings& s) {
            T& field = at(s, member);
            app.add_option_function<P>(
                   flag_of(doc), [&field](P value) { field = static_cast<T>(value); },
                   std::string(doc.help))
                ->default_str(std::to_string(field))
                ->check(CLI::Range(static_cast<P>(min), static_cast<P>(max)));
          },
          [member, min, max](const toml::node& node, ServerSettings& s) -> std::string {
            auto value = config::integer_in(node, min, max);
            if (!value) {
              return value.error().message;
            }
            at(s, member) = static_cast<T>(*value);
            return {};
          },
          [member](const ServerSettings& s) { return std::to_string(at(s, member)); }};
}

// A duration in whole seconds, up to a year.
Setting seconds(Doc doc, std::chrono::seconds Config::*member) {
  return {doc.key,
          doc.value_name,
          doc.help,
          [doc, member](CLI::App& app, ServerSettings& s) {
            std::chrono::seconds& field = at(s, member);
            app.add_option_function<long>(
                   flag_of(doc), [&field](long value) { field = std::chrono::seconds(value); },
                   std::string(doc.help))
                ->default_str(std::to_string(field.count()))
                ->check(CLI::Range(0L, static_cast<long>(kMaxSeconds)));
          },
          [member](const toml::node& node, ServerSettings& s) -> std::string {
            auto value = config::integer_in(node, 0, kMaxSeconds, "seconds");
            if (!value) {
              return value.error().message;
            }
            at(s, member) = std::chrono::seconds(static_cast<std::int64_t>(*value));
            return {};
          },
          [member](const ServerSettings& s) { return std::to_string(at(s, member).count()); }};
}

std::string_view name_of(LogFormat format) { return format == LogFormat::kJson ? "json" : "text"; }

Setting log_format(Doc doc) {
  return {doc.key,
          doc.value_name,
          doc.help,
          [doc](CLI::App& app, ServerSettings& s) {
            app.add_option_function<std::string>(
                   flag_of(doc),
                   [&s](const std::string& f) {
                     s.log_format = f == "json" ? LogFormat::kJson : LogFormat::kText;
                   },
                   std::string(doc.help))
                ->check(CLI::IsMember({"text", "json"}))
                ->default_str(std::string(name_of(s.log_format)));
          },
          [](const toml::node& node, ServerSettings& s) -> std::string {
            const auto* value = node.as_string();
            if (value == nullptr) {
              return expected("\"text\" or \"json\"", node);
            }
            if (value->get() != "text" && value->get() != "json") {
              return fmt::format("must be \"text\" or \"json\" (got {})", quote(value->get()));
            }
            s.log_format = value->get() == "json" ? LogFormat::kJson : LogFormat::kText;
            return {};
          },
          [](const ServerSettings& s) { return quote(name_of(s.log_format)); }};
}

// The trusted balancers' addresses (TrustedBalancers::parse checks them).
Setting balancers(Doc doc, std::string Config::*member) {
  return {doc.key,
          doc.value_name,
          doc.help,
          [doc, member](CLI::App& app, ServerSettings& s) {
            app.add_option(flag_of(doc), at(s, member), std::string(doc.help))
                ->capture_default_str()
                ->check(
                    [](const std::string& value) -> std::string {
                      auto parsed = TrustedBalancers::parse(value);
                      return parsed ? std::string() : parsed.error().message;
                    },
                    "ADDR[/BITS][,...]");
          },
          [member](const toml::node& node, ServerSettings& s) -> std::string {
            const auto* value = node.as_string();
            if (value == nullptr) {
              return expected("a string (addresses, comma-separated)", node);
            }
            if (auto parsed = TrustedBalancers::parse(value->get()); !parsed) {
              return parsed.error().message;
            }
            at(s, member) = value->get();
            return {};
          },
          [member](const ServerSettings& s) { return quote(at(s, member)); }};
}

// A table: one row per setting, long by nature.
std::vector<Setting> make_table() {  // NOLINT(readability-function-size)
  using S = ServerSettings;
  using C = Config;
  return {
      text({"host", "address", "Address to listen on"}, &C::host, false),
      integer<unsigned>({"port", "port", "TCP port (0: any free port)"}, &C::port, 0, 65535),
      integer<unsigned>(
          {"https-port", "port",
           "TCP port of the HTTPS face: WebDAV at /dav/, the browser app at /app/ (0: no HTTPS)"},
          &C::https_port, 0, 65535),
      text({"auth-file", "file", "User database (user:password lines)"}, &C::auth_file, false),
      text({"db", "url",
            "PostgreSQL database holding the users instead of --auth-file, shared by a "
            "cluster's nodes (postgresql://USER@HOST/DB; the password in PGPASSFILE, ~/.pgpass "
            "or PGPASSWORD, never in the URL)"},
           &C::db_url, true),
      text({"storage", "dir", "Storage root directory, or s3://BUCKET[/PREFIX]"}, &C::storage_dir,
           false),
      text({"s3-endpoint", "url", "S3 endpoint of --storage s3://... (http:// or https://)"},
           &C::s3_endpoint, true),
      text({"s3-region", "region", "S3 region the requests are signed for"}, &C::s3_region, false),
      text({"s3-credentials", "file",
            "File with the S3 keys (aws_access_key_id and aws_secret_access_key lines); "
            "without it, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
           &C::s3_credentials, true),
      integer({"s3-part-size", "bytes",
               "Bytes per S3 multipart part, which each upload buffers (8 MiB to 512 MiB)"},
              &C::s3_part_size, storage::s3::S3BackendSettings::kMinPartSize,
              storage::s3::S3BackendSettings::kMaxPartSize),
      text({"cert", "file", "TLS certificate (PEM); generated if absent"}, &C::cert_file, false),
      text({"key", "file", "TLS private key (PEM); generated if absent"}, &C::key_file, false),
      integer({"threads", "n", "Worker threads (0: one per core)"}, &C::threads, 0, 4096),
      text({"run-as", "user",
            "When started as root: after binding and loading the key, become this user"},
           &S::run_as, true),
      on_off({"allow-root", "", "Keep running as root (not recommended)"}, &S::allow_root),
      log_format({"log-format", "text|json", "Log lines as text or json"}),
      on_off({"tls12", "", "Also offer TLS 1.2 (ECDHE with AES-GCM or ChaCha20-Poly1305 only)"},
             &C::allow_tls12),
      on_off({"no-compress", "", "Refuse clients' COMPRESS zstd: all data travels uncompressed"},
             &S::no_compress),
      seconds({"partial-ttl", "seconds", "Seconds to keep an interrupted upload for resume"},
              &C::partial_ttl),
      integer({"max-tus-uploads", "n",
               "tus uploads in progress per user (the least recently used beyond it is "
               "dropped); each is forgotten after --partial-ttl without a write"},
              &C::max_tus_uploads, 1, 100000),
      seconds({"drain-timeout", "seconds",
               "On SIGTERM/SIGINT, seconds to let transfers in flight finish"},
              &C::drain_timeout),
      seconds({"drain-grace", "seconds",
               "On SIGTERM/SIGINT, seconds to go on serving while the health check (GET "
               "/health) answers 503, before the drain"},
              &C::drain_grace),
      balancers({"proxy-protocol-from", "addresses",
                 "Trusted load balancers (ADDR or ADDR/BITS, comma-separated): connections from "
                 "them must start with a PROXY protocol header (v1 or v2), whose client address "
                 "then counts as the peer's (empty: off)"},
                &C::proxy_protocol_from),
      seconds({"handshake-timeout", "seconds", "Seconds for the TLS handshake"},
              &C::handshake_timeout),
      seconds({"login-timeout", "seconds", "Seconds to log in after the handshake"},
              &C::login_timeout),
      seconds({"login-cache-ttl", "seconds",
               "Seconds a password Argon2id accepted is recognized without Argon2id (0: never)"},
              &C::login_cache_ttl),
      seconds(
          {"web-session-idle", "seconds", "Seconds a browser session may go unused before it ends"},
          &C::web_session_idle),
      seconds({"web-session-lifetime", "seconds",
               "Seconds after its login a browser session ends, used or not"},
              &C::web_session_lifetime),
      seconds({"idle-timeout", "seconds", "Seconds a session may wait between commands"},
              &C::idle_timeout),
      seconds({"io-timeout", "seconds",
               "Seconds one read or write may stall inside a command; for file transfers, the "
               "span --min-transfer-rate is averaged over"},
              &C::io_timeout),
      integer({"min-transfer-rate", "bytes",
               "A file transfer slower than this many bytes/s over --io-timeout is ended "
               "(0: no minimum)"},
              &C::min_transfer_rate, 0, kMaxMinTransferRate),
      integer(
          {"max-transfer-memory", "bytes", "Bytes of file data in flight, all transfers together"},
          &C::max_transfer_memory, kMinTransferMemory, kMaxTransferMemory),
      integer({"max-login-attempts", "n", "Failed logins per connection"}, &C::max_login_attempts,
              1, 100),
      integer({"max-connections", "n", "Connections in all"}, &C::max_connections, 1, 1000000),
      integer({"max-connections-per-ip", "n", "Connections from one address"},
              &C::max_connections_per_source, 1, 1000000),
      integer(
          {"max-unauthenticated", "n", "Connections not logged in yet (like sshd's MaxStartups)"},
          &C::max_unauthenticated, 1, 1000000),
      integer({"unauthenticated-share-per-ip", "n",
               "When those are all taken, an address holding fewer than this many of them takes "
               "the place of the oldest of the address holding the most (0: never)"},
              &C::unauthenticated_share_per_source, 0, 1000000),
      integer(
          {"max-concurrent-hashing", "n", "Password checks at once (Argon2id takes 64 MiB each)"},
          &C::max_concurrent_hashing, 1, 64),
      integer({"max-file-size", "bytes", "Largest file a user may upload, bytes"},
              &C::max_file_bytes, 0, kUnbounded),
      integer({"max-line", "bytes", "Longest command line, bytes"}, &C::max_line_bytes, 512,
              protocol::kMaxLineBytes),
      integer({"max-http-header", "bytes", "Longest HTTP request line and headers, bytes"},
              &C::max_http_header_bytes, 1024, 65536),
      integer({"max-frame", "bytes", "Largest data frame accepted, bytes"}, &C::max_frame_bytes,
              protocol::kDefaultFrameBytes, protocol::kMaxFrameBytes),
      integer({"max-path", "bytes", "Longest remote path, bytes"}, &C::max_path_bytes, 16,
              protocol::kMaxPathBytes),
      integer({"quota-bytes", "bytes", "Bytes each user may store (0: no quota)"}, &C::quota_bytes,
              0, kUnbounded),
      integer({"quota-files", "n", "Files and folders each user may store, together (0: no quota)"},
              &C::quota_files, 0, kUnbounded),
  };
}

}  // namespace

const std::vector<Setting>& setting_table() {
  static const std::vector<Setting> table = make_table();
  return table;
}

const Setting* find_setting(std::string_view key) {
  for (const Setting& setting : setting_table()) {
    if (setting.key == key) {
      return &setting;
    }
  }
  return nullptr;
}

void add_setting_flags(CLI::App& app, ServerSettings& settings) {
  for (const Setting& setting : setting_table()) {
    setting.add_flag(app, settings);
  }
}

}  // namespace sfs::server
