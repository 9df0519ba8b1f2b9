#pragma once
// PostgreSQL, where a cluster of sfs-server nodes keeps what they share
// (docs/cluster.md): a small pool of connections to one database whose
// schema open() creates and migrates (pg/schema.h), and transactions run
// with bounded retries when the connection broke or PostgreSQL asks for one
// (a serialization failure, a deadlock).
//
//   auto db = Database::open("postgresql://sfs@db1/sfs");  // "--db: why" on error
//   std::int64_t n = 0;
//   auto ok = (*db)->run([&](pqxx::work& tx) { n = tx.exec1("SELECT 1")[0].as<std::int64_t>(); });
//
// Every connection gets a connect timeout, a statement timeout and TCP
// keepalives unless the URL sets them, so no call waits without bound.
// libpqxx blocks: callers run these calls off the network threads.
// Thread-safe: each run() has a connection of its own.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfs::pg {

struct DatabaseSettings {
  std::size_t max_connections = 4;  // open at once; run() waits for one beyond
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds statement_timeout{10};
  unsigned attempts = 3;  // per run(), for broken connections and retryable errors
};

class Database {
 public:
  // Parses `url` (a postgresql:// URI or key=value pairs), connects,
  // creates or migrates the schema, and returns the pool. One-line errors:
  // kBadRequest for a bad URL or one holding a password (a command line
  // shows it to every local user: use PGPASSFILE, ~/.pgpass or
  // PGPASSWORD), kIo when the database cannot be reached or refuses, or
  // when its schema is newer than this program knows.
  static Result<std::unique_ptr<Database>> open(std::string_view url,
                                                DatabaseSettings settings = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // "database sfs@127.0.0.1:5432/sfs": who and where, never a password.
  const std::string& name() const { return name_; }

  // Runs `body` in a transaction and commits it; again (on a fresh
  // connection, after a short backoff) when the connection broke or
  // PostgreSQL asks for a retry, at most settings.attempts times. `body`
  // must therefore only touch the database and its own captures (reset
  // them at its start). An Error `body` returns is returned as it is (the
  // transaction rolled back); a database failure becomes kIo "NAME
  // unavailable: why" or "NAME: why".
  Result<void> run(const std::function<Result<void>(pqxx::work&)>& body);

  // A connection of the caller's own, outside the pool (a LISTEN needs
  // one that stays). kIo "NAME unavailable: why" when it cannot be made.
  Result<std::unique_ptr<pqxx::connection>> connect();
  // What a failure on such a connection is, as run() says it ("NAME
  // unavailable: why" for a broken connection, "NAME: why" otherwise).
  Error failed(const std::exception& e) const;

 private:
  Database(std::string conninfo, std::string name, DatabaseSettings settings);
  Result<std::unique_ptr<pqxx::connection>> take();
  void give_back(std::unique_ptr<pqxx::connection> connection);

  std::string conninfo_;
  std::string name_;
  DatabaseSettings settings_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;  // connections handed out or idle
};

// A random 64-bit id that tells this process's rows and notifications
// apart from the other nodes' (each PostgreSQL-backed table draws one).
std::uint64_t random_node_id();

// `url` as key=value connection settings with sfs's defaults added (the
// timeouts above, application_name=sfs-server), and the name Database
// shows; the checks of Database::open on the URL alone (no connection).
struct Conninfo {
  std::string conninfo;
  std::string name;
};
Result<Conninfo> parse_conninfo(std::string_view url, const DatabaseSettings& settings);

}  // namespace sfs::pg
