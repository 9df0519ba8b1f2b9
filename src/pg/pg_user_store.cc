#include "pg/pg_user_store.h"

#include <string>

#include "auth/user_name.h"

namespace sfs::pg {
namespace {

constexpr std::string_view kArgon2Prefix = "$argon2id$";

Error no_user(const std::string& name) {
  return make_error(Errc::kNotFound, "no such user '" + name + "'");
}

std::string generation_query() {
  return "SELECT generation FROM sfs_generations WHERE what = 'users'";
}

}  // namespace

std::chrono::milliseconds PgUserStore::check_interval() const {
  return std::chrono::milliseconds(500);
}

Result<auth::UserStore::Snapshot> PgUserStore::load() {
  Snapshot snapshot;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    snapshot = {};
    // One snapshot for the counter and the rows: a change committed
    // between them would otherwise be missed until the next one.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    snapshot.token = tx.exec1(generation_query())[0].as<std::string>();
    for (const auto& row : tx.exec("SELECT name, secret FROM sfs_users ORDER BY name")) {
      auth::Entry entry{row[0].as<std::string>(), row[1].as<std::string>()};
      if (!auth::is_valid_user_name(entry.name) || entry.secret.empty()) {
        return make_error(Errc::kBadRequest,
                          db_->name() +
                              ": table sfs_users holds an invalid user name or an "
                              "empty secret; fix it with sfs-admin --db");
      }
      snapshot.entries.push_back(std::move(entry));
    }
    return {};
  }));
  return snapshot;
}

Result<std::string> PgUserStore::change_token() {
  std::string token;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    token = tx.exec1(generation_query())[0].as<std::string>();
    return {};
  }));
  return token;
}

Result<void> PgUserStore::add(const auth::Entry& entry) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto done = tx.exec_params(
        "INSERT INTO sfs_users (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        entry.name, entry.secret);
    if (done.affected_rows() == 0) {
      return make_error(Errc::kExists, "user '" + entry.name + "' already exists");
    }
    return {};
  });
}

Result<void> PgUserStore::set_secret(const std::string& name, const std::string& secret) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto done = tx.exec_params(
        "UPDATE sfs_users SET secret = $2, changed = now() WHERE name = $1", name, secret);
    return done.affected_rows() == 0 ? Result<void>(no_user(name)) : Result<void>();
  });
}

Result<void> PgUserStore::remove(const std::string& name) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto done = tx.exec_params("DELETE FROM sfs_users WHERE name = $1", name);
    return done.affected_rows() == 0 ? Result<void>(no_user(name)) : Result<void>();
  });
}

Result<void> PgUserStore::replace_secret(const std::string& name, const std::string& expected,
                                         const std::string& secret) {
  return db_->run([&](pqxx::work& tx) -> Result<void> {
    const auto done = tx.exec_params(
        "UPDATE sfs_users SET secret = $3, changed = now() WHERE name = $1 AND secret = $2", name,
        expected, secret);
    if (done.affected_rows() == 0) {
      return make_error(Errc::kExists, "user '" + name + "' changed meanwhile");
    }
    return {};
  });
}

// Rows are written by sfs-admin, which hashes; a plaintext row can only
// come from SQL typed by hand, and is hashed like a legacy auth file line.
Result<std::size_t> PgUserStore::migrate(
    const std::function<Result<std::string>(std::string_view)>& hash) {
  std::size_t migrated = 0;
  SFS_RETURN_IF_ERROR(db_->run([&](pqxx::work& tx) -> Result<void> {
    migrated = 0;
    const auto rows =
        tx.exec_params("SELECT name, secret FROM sfs_users WHERE left(secret, $1) <> $2 FOR UPDATE",
                       static_cast<int>(kArgon2Prefix.size()), std::string(kArgon2Prefix));
    for (const auto& row : rows) {
      SFS_ASSIGN_OR_RETURN(auto hashed, hash(row[1].as<std::string>()));
      tx.exec_params0("UPDATE sfs_users SET secret = $2, changed = now() WHERE name = $1",
                      row[0].as<std::string>(), hashed);
      ++migrated;
    }
    return {};
  }));
  return migrated;
}

}  // namespace sfs::pg
