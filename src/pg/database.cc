#include "pg/database.h"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "pg/schema.h"

namespace sfs::pg {
namespace {

// The first line of a libpq or libpqxx message (they end in newlines and
// may go on with a query's text).
std::string first_line(std::string_view text) {
  const auto end = text.find('\n');
  return std::string(text.substr(0, end));
}

// A value as key=value connection settings quote it.
std::string quoted(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

using Options = std::map<std::string, std::string>;

Result<Options> parse_options(std::string_view url) {
  char* error = nullptr;
  const std::string text(url);
  PQconninfoOption* parsed = PQconninfoParse(text.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? first_line(error) : "out of memory";
    PQfreemem(error);
    return make_error(Errc::kBadRequest, "--db: " + why);
  }
  Options options;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && *o->val != '\0') {
      options.emplace(o->keyword, o->val);
    }
  }
  PQconninfoFree(parsed);
  return options;
}

std::string name_of(const Options& options) {
  auto get = [&](const char* key, const char* fallback) {
    const auto it = options.find(key);
    return it == options.end() ? std::string(fallback) : it->second;
  };
  const std::string user = get("user", "");
  return "database " + (user.empty() ? "" : user + "@") + get("host", "localhost") +
         (options.contains("port") ? ":" + get("port", "") : "") + "/" +
         get("dbname", user.c_str());
}

// Unlike the server's other settings, the URL's defaults may be wanted on
// purpose: only what it leaves unset gets sfs's value.
void add_defaults(Options& options, const DatabaseSettings& settings) {
  options.try_emplace("connect_timeout", std::to_string(settings.connect_timeout.count()));
  options.try_emplace("application_name", "sfs-server");
  options.try_emplace("keepalives", "1");
  options.try_emplace("keepalives_idle", "10");
  options.try_emplace("keepalives_interval", "5");
  options.try_emplace("keepalives_count", "3");
  // Unacknowledged data on a dead link: TCP gives up after this.
  options.try_emplace("tcp_user_timeout", "15000");
  std::string& server_options = options["options"];
  if (server_options.find("statement_timeout") == std::string::npos) {
    const auto ms = std::chrono::milliseconds(settings.statement_timeout).count();
    server_options += (server_options.empty() ? "" : " ") + std::string("-c statement_timeout=") +
                      std::to_string(ms);
  }
}

Error failure(const std::string& name, const std::exception& e) {
  const std::string why = first_line(e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return make_error(Errc::kIo, name + " unavailable: " + why);
  }
  return make_error(Errc::kIo, name + ": " + why);
}

// Worth another attempt on a fresh connection.
bool retryable(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
         dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr;
}

}  // namespace

Result<Conninfo> parse_conninfo(std::string_view url, const DatabaseSettings& settings) {
  SFS_ASSIGN_OR_RETURN(auto options, parse_options(url));
  if (options.contains("password")) {
    return make_error(Errc::kBadRequest,
                      "--db: the URL holds a password, which every local user can read on a "
                      "command line; put it in a password file (PGPASSFILE or ~/.pgpass) or "
                      "PGPASSWORD instead");
  }
  Conninfo out;
  out.name = name_of(options);
  add_defaults(options, settings);
  for (const auto& [key, value] : options) {
    out.conninfo += (out.conninfo.empty() ? "" : " ") + key + "=" + quoted(value);
  }
  return out;
}

Result<std::unique_ptr<Database>> Database::open(std::string_view url, DatabaseSettings settings) {
  SFS_ASSIGN_OR_RETURN(auto info, parse_conninfo(url, settings));
  std::unique_ptr<Database> db(
      new Database(std::move(info.conninfo), std::move(info.name), settings));
  SFS_RETURN_IF_ERROR(migrate_schema(*db));
  return db;
}

Database::Database(std::string conninfo, std::string name, DatabaseSettings settings)
    : conninfo_(std::move(conninfo)), name_(std::move(name)), settings_(settings) {}

Database::~Database() = default;

Result<std::unique_ptr<pqxx::connection>> Database::take() {
  {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < settings_.max_connections; });
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    ++open_;
  }
  auto made = connect();
  if (!made) {
    give_back(nullptr);
  }
  return made;
}

Result<std::unique_ptr<pqxx::connection>> Database::connect() {
  try {
    return std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    return make_error(Errc::kIo, name_ + " unavailable: " + first_line(e.what()));
  }
}

std::uint64_t random_node_id() {
  std::random_device device;
  return (std::uint64_t{device()} << 32U) | device();
}

Error Database::failed(const std::exception& e) const { return failure(name_, e); }

// A null or broken connection is closed, making room for a new one.
void Database::give_back(std::unique_ptr<pqxx::connection> connection) {
  const std::lock_guard lock(mutex_);
  if (connection != nullptr && connection->is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  freed_.notify_one();
}

Result<void> Database::run(const std::function<Result<void>(pqxx::work&)>& body) {
  Error last = make_error(Errc::kIo, name_ + " unavailable");
  for (unsigned attempt = 0; attempt < settings_.attempts; ++attempt) {
    if (attempt > 0) {  // 50 ms, 100 ms, ...: a restarting server or a busy row
      std::this_thread::sleep_for(std::chrono::milliseconds(50) * (1U << (attempt - 1)));
    }
    auto connection = take();
    if (!connection) {
      last = connection.error();
      continue;
    }
    try {
      Result<void> done;
      {  // the transaction ends before its connection goes back to the pool
        pqxx::work tx(**connection);
        done = body(tx);
        if (done) {
          tx.commit();
        }
      }
      give_back(std::move(*connection));
      return done;
    } catch (const std::exception& e) {
      last = failure(name_, e);
      const bool again = retryable(e);
      give_back(again ? nullptr : std::move(*connection));
      if (!again) {
        return last;
      }
    }
  }
  return last;
}

}  // namespace sfs::pg
