// sfs-server: parses options, loads users, storage and TLS identity, serves.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "auth/user_db.h"
#include "auth/user_store.h"
#include "pg/database.h"
#include "pg/pg_partial_claims.h"
#include "pg/pg_lock_table.h"
#include "pg/pg_quota.h"
#include "pg/pg_upload_table.h"
#include "pg/pg_user_store.h"
#include "pg/pg_verdict_share.h"
#include "pg/pg_web_sessions.h"
#include "server/config_file.h"
#include "server/logging.h"
#include "server/privileges.h"
#include "server/s3_storage.h"
#include "server/server.h"
#include "tls/certificate.h"

namespace {

namespace fs = std::filesystem;
using sfs::server::Config;

// Only before server.run(): while main is the one thread.
[[noreturn]] void die(const std::string& message) {
  sfs::server::print_fatal(message);
  std::exit(1);  // NOLINT(concurrency-mt-unsafe): one thread yet
}

template <typename T>
T must(sfs::Result<T> result) {
  if (!result) {
    die(result.error().message);
  }
  return std::move(*result);
}

// Generates a certificate and key when both are missing; refuses to guess
// when only one of them is there.
void ensure_identity(const Config& config) {
  const bool have_cert = fs::exists(config.cert_file);
  const bool have_key = fs::exists(config.key_file);
  if (have_cert && have_key) {
    return;
  }
  if (have_cert != have_key) {
    die((have_cert ? config.key_file : config.cert_file).string() +
        " is missing (certificate and key must both exist, or both be absent to generate them)");
  }
  if (auto ok = sfs::tls::generate_self_signed(config.cert_file, config.key_file, {config.host});
      !ok) {
    die(ok.error().message);
  }
  sfs::server::print_startup_line("generated a new certificate " + config.cert_file.string() +
                                  " and key " + config.key_file.string());
}

std::string fingerprint_of(const fs::path& cert_file) {
  auto prints = sfs::tls::fingerprints_of_file(cert_file);
  return prints ? prints->front() : std::string("unknown");
}

// Plaintext passwords and a file others can read are allowed (the original
// design had both) but each gets a warning at every start.
// `mode` is read at start, before any switch to --run-as.
void warn_about_auth_file(const fs::path& file, std::size_t plaintext, std::size_t users,
                          mode_t mode) {
  if (plaintext > 0) {
    spdlog::warn(
        "{} of {} user(s) in {} have a plaintext password; hash them with: "
        "sfs-admin --auth-file {} migrate",
        plaintext, users, file.string(), file.string());
  }
  if ((mode & 077) != 0) {
    spdlog::warn("{} can be read by group or others (mode {:o}); run: chmod 600 {}", file.string(),
                 mode & 0777, file.string());
  }
}

// A private key others can read lets them impersonate the server. sshd
// refuses such a key; sfs warns at every start instead, because Debian's
// own convention keeps TLS keys group-readable (0640, group ssl-cert), and
// refusing would stop a running service on upgrade while the key, if it
// leaked, is already out (it must be replaced, not just chmod-ed).
// `mode` is read at start, before any switch to --run-as.
void warn_about_key_file(const fs::path& file, mode_t mode) {
  if ((mode & 077) != 0) {
    spdlog::warn(
        "private key {} can be read by {} (mode {:o}); anyone who read it can impersonate this "
        "server: run chmod 600 {}, and replace the key if someone else may have read it",
        file.string(), (mode & 007) != 0 ? "others" : "group", mode & 0777, file.string());
  }
}

int print_checked(const sfs::server::ServerSettings& settings);

// Parses the command line and the settings file into `settings`. Returns
// the exit status when main stops here (--help, --check-config, a bad
// option or settings file); nullopt to serve.
std::optional<int> parse_settings(int argc, char** argv, sfs::server::ServerSettings& settings) {
  CLI::App app{"sfs-server: secure file storage server (TLS 1.3)"};
  sfs::server::add_setting_flags(app, settings);
  std::string config_file;
  bool check_config = false;
  app.add_option("--config", config_file,
                 "TOML file of settings (keys: these flags without the dashes); flags override it");
  app.add_flag("--check-config", check_config,
               "Check the settings, print them as TOML and exit without serving");
  app.set_version_flag("--version", "sfs-server " SFS_VERSION, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // In the format the command line asks for, until the settings file has
  // had its say: every line of a JSON log is JSON, its errors included.
  sfs::server::setup_logging(settings.log_format);
  if (!config_file.empty()) {
    auto given = [&app](std::string_view key) {
      const CLI::Option* flag = app.get_option_no_throw("--" + std::string(key));
      return flag != nullptr && flag->count() > 0;
    };
    if (auto ok = sfs::server::apply_config_file(config_file, settings, given); !ok) {
      sfs::server::print_fatal(ok.error().message);
      return 2;
    }
  }
  if (check_config) {
    return print_checked(settings);
  }
  return std::nullopt;
}

// Refuses root without --run-as (unless --allow-root), and --run-as without
// root. Returns what is wrong, or empty.
std::string user_problem(const sfs::server::ServerSettings& settings) {
  const bool root = sfs::server::running_as_root();
  if (root && settings.run_as.empty() && !settings.allow_root) {
    return "refusing to run as root: use --run-as USER (or --allow-root)";
  }
  if (!root && !settings.run_as.empty()) {
    return "--run-as needs the server to be started as root";
  }
  return {};
}

void check_user(const sfs::server::ServerSettings& settings) {
  if (const std::string problem = user_problem(settings); !problem.empty()) {
    die(problem);
  }
}

// What the real start would refuse that --check-config can see without
// creating or binding anything: the user to run as, the auth file, a
// certificate without its key. Empty when the start would go ahead.
std::vector<std::string> start_problems(const sfs::server::ServerSettings& settings) {
  std::vector<std::string> problems;
  if (std::string problem = user_problem(settings); !problem.empty()) {
    problems.push_back(std::move(problem));
  }
  const Config& config = settings.config;
  if (config.db_url.empty()) {
    if (auto users = sfs::auth::UserDb::load(config.auth_file); !users) {
      problems.push_back(users.error().message);
    }
  } else if (auto db = sfs::pg::parse_conninfo(config.db_url, {}); !db) {
    problems.push_back(db.error().message);  // (no connection: --check-config changes nothing)
  }
  std::error_code ec;
  if (fs::exists(config.cert_file, ec) != fs::exists(config.key_file, ec)) {
    problems.push_back("only one of " + config.cert_file.string() + " and " +
                       config.key_file.string() + " exists (both, or neither to generate them)");
  }
  return problems;
}

// --check-config: the settings as TOML on stdout, then what the start
// would refuse, one line each on stderr (status 1, as the start's).
int print_checked(const sfs::server::ServerSettings& settings) {
  std::fputs(sfs::server::format_settings(settings).c_str(), stdout);
  const std::vector<std::string> problems = start_problems(settings);
  for (const std::string& problem : problems) {
    sfs::server::print_fatal(problem);
  }
  return problems.empty() ? 0 : 1;
}

// The mode of `file`; 0 when it cannot be read.
mode_t mode_of(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_mode : 0;
}

// The users of the auth file or the database, and what the start-up
// warnings say about an auth file, read at start, before any switch to
// --run-as.
struct LoadedUsers {
  sfs::server::StartUsers start;
  std::size_t plaintext = 0;
  std::size_t count = 0;
  mode_t mode = 0;
};

// Where the users are (the auth file, or with --db the database) and, with
// --db, the login verdicts, the quota ledger and (S3 storage) the claims on
// partials shared through it.
struct UserSources {
  std::unique_ptr<sfs::auth::UserStore> store;
  std::unique_ptr<sfs::auth::VerdictShare> verdicts;
  std::unique_ptr<sfs::files::Quota> quota;
  std::shared_ptr<sfs::storage::PartialClaims> claims;
  std::unique_ptr<sfs::files::LockTable> locks;
  std::unique_ptr<sfs::files::UploadTable> uploads;
  std::function<std::unique_ptr<sfs::auth::WebSessionTable>(const sfs::auth::UserDb&)> web_sessions;
};

UserSources open_user_sources(const Config& config) {
  if (config.db_url.empty()) {
    return {std::make_unique<sfs::auth::FileUserStore>(config.auth_file)};
  }
  std::shared_ptr<sfs::pg::Database> db = must(sfs::pg::Database::open(config.db_url));
  sfs::pg::PgQuotaSettings quota{.max_bytes = config.quota_bytes,
                                 .max_entries = config.quota_files,
                                 .rescan_after = sfs::server::kUsageRescan};
  std::shared_ptr<sfs::storage::PartialClaims> claims;
  if (sfs::server::is_s3_storage(config.storage_dir)) {
    claims = std::make_shared<sfs::pg::PgPartialClaims>(db);
  }
  const sfs::pg::PgUploadSettings uploads{
      .ttl = std::max(config.partial_ttl, std::chrono::seconds(1)),
      .max_per_user = config.max_tus_uploads};
  const sfs::auth::WebSessionLimits sessions{.idle = config.web_session_idle,
                                             .lifetime = config.web_session_lifetime};
  return {std::make_unique<sfs::pg::PgUserStore>(db),
          std::make_unique<sfs::pg::PgVerdictShare>(db),
          std::make_unique<sfs::pg::PgQuota>(db, quota),
          std::move(claims),
          std::make_unique<sfs::pg::PgLockTable>(db),
          std::make_unique<sfs::pg::PgUploadTable>(db, uploads),
          [db, sessions](const sfs::auth::UserDb& users) {
            return std::make_unique<sfs::pg::PgWebSessions>(
                db, sessions, [&users](std::string_view user) { return users.version(user); });
          }};
}

LoadedUsers load_users(const Config& config) {
  UserSources sources = open_user_sources(config);
  auto snapshot = must(sources.store->load());
  auto users = must(sfs::auth::UserDb::from_entries(snapshot.entries));
  users.set_verified_ttl(config.login_cache_ttl);
  const std::size_t plaintext = users.plaintext_count();
  const std::size_t count = users.size();
  const mode_t mode = config.db_url.empty() ? mode_of(config.auth_file) : 0600;
  if (!config.db_url.empty()) {
    spdlog::info("users from {}: {}", sources.store->name(), count);
  }
  return {{std::move(sources.store), std::move(users), std::move(snapshot.token),
           std::move(sources.verdicts), std::move(sources.quota), std::move(sources.claims),
           std::move(sources.locks), std::move(sources.uploads), std::move(sources.web_sessions)},
          plaintext,
          count,
          mode};
}

// Opens the storage, removes what interrupted uploads left there, and hands
// it to the --run-as user.
sfs::storage::Store open_store(const Config& config, const std::string& run_as) {
  auto store = must(sfs::storage::Store::open(config.storage_dir));
  if (const std::size_t stale = store.remove_stale_temps(config.partial_ttl); stale > 0) {
    spdlog::info("removed {} stale temporary or partial upload file(s)", stale);
  }
  if (!run_as.empty()) {
    if (auto ok = sfs::server::hand_over_storage(run_as, config.storage_dir); !ok) {
      die(ok.error().message);
    }
  }
  return store;
}

// --storage s3://...: the keys from --s3-credentials or the environment
// (never the command line), then one HEAD of the bucket; any failure stops
// the start with one line.
sfs::server::StorageChoice open_s3(const Config& config) {
  sfs::server::S3Keys keys;
  if (!config.s3_credentials.empty()) {
    keys = must(sfs::server::read_s3_keys(config.s3_credentials));
  } else {
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    keys = {id == nullptr ? "" : id, secret == nullptr ? "" : secret};
  }
  auto s3 = must(sfs::server::s3_settings(config, keys));
  if (auto ok = sfs::server::check_s3(s3); !ok) {
    die(ok.error().message);
  }
  return s3;
}

sfs::server::StorageChoice open_storage(const Config& config, const std::string& run_as) {
  if (sfs::server::is_s3_storage(config.storage_dir)) {
    return open_s3(config);
  }
  return open_store(config, run_as);
}

void announce(const sfs::server::Server& server, const std::string& fingerprint) {
  const auto endpoint = server.local_endpoint();
  const std::string address = endpoint.address().is_v6()
                                  ? "[" + endpoint.address().to_string() + "]"
                                  : endpoint.address().to_string();
  sfs::server::print_startup_line("listening on " + address + ":" +
                                  std::to_string(endpoint.port()));
  if (const auto https = server.https_endpoint()) {
    sfs::server::print_startup_line("https listening on " + address + ":" +
                                    std::to_string(https->port()) + " (WebDAV at /dav/)");
  }
  sfs::server::print_startup_line("certificate SHA256 fingerprint " + fingerprint);
}

// A descriptor per connection plus some for files in use and the server.
void warn_about_open_files(std::uint64_t max_connections, std::uint64_t open_files) {
  if (open_files != 0 && max_connections + 64 > open_files) {
    spdlog::warn(
        "--max-connections {} is near the open-file limit {}; raise it (ulimit -n, or "
        "LimitNOFILE= in the systemd unit)",
        max_connections, open_files);
  }
}

// Loads users, storage and TLS identity, listens, drops root, and serves
// until the server stops.
void serve(sfs::server::ServerSettings& settings) {
  Config& config = settings.config;
  config.offer_compression = !settings.no_compress;
  sfs::server::setup_logging(settings.log_format);
  check_user(settings);
  const std::uint64_t open_files = sfs::server::raise_open_file_limit();
  // SIGHUP's default would end the process; the server reloads the auth
  // file on it once it runs, and meanwhile a change is seen by the stamp.
  (void)std::signal(SIGHUP, SIG_IGN);  // cannot fail for SIGHUP and SIG_IGN
  LoadedUsers loaded = load_users(config);
  auto store = open_storage(config, settings.run_as);
  ensure_identity(config);
  auto tls =
      must(sfs::tls::make_server_context(config.cert_file, config.key_file, config.allow_tls12));
  const std::string fingerprint = fingerprint_of(config.cert_file);
  const mode_t key_mode = mode_of(config.key_file);

  sfs::server::Server server(config, std::move(tls), std::move(loaded.start), std::move(store));
  if (auto ok = server.listen(); !ok) {
    die(ok.error().message);
  }
  if (!settings.run_as.empty()) {
    if (auto ok = sfs::server::drop_privileges(settings.run_as); !ok) {
      die(ok.error().message);
    }
  }
  announce(server, fingerprint);
  // Warnings only once start-up succeeded: a failed start says one line.
  if (config.db_url.empty()) {
    warn_about_auth_file(config.auth_file, loaded.plaintext, loaded.count, loaded.mode);
  }
  warn_about_key_file(config.key_file, key_mode);
  warn_about_open_files(config.max_connections, open_files);
  server.run();
}

}  // namespace

int main(int argc, char** argv) {
  sfs::server::ServerSettings settings;
  if (const std::optional<int> status = parse_settings(argc, argv, settings)) {
    return *status;
  }
  serve(settings);
  return 0;
}
